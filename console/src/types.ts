/** What the admin API returns, as far as the console reads it. */
/** An upstream's last failure as GET /api/servers reports it (an object, not a string: React cannot render it as it is). */
/** `recoveredAt`: when the upstream served again after it (null while it is the current state). */
export type UpstreamFailure = { code: string; message: string; at: string; recoveredAt: string | null };
export type Runtime = { status: string; lastError: UpstreamFailure | null; stderrTail: string; restarts: number; failedAttempts: number; connections: number };

export type Server = {
  id: string;
  name: string;
  description: string | null;
  transport: 'stdio' | 'sse' | 'streamable_http';
  command: string | null;
  args: string[];
  env: Record<string, string>;
  cwd: string | null;
  url: string | null;
  headers: Record<string, string>;
  /** The headers declared secret: never sent on a per-user connection (absent from older answers). */
  headersSecret?: string[];
  bearerToken: string | null;
  timeoutMs: number | null;
  credentials?: 'shared' | 'per_user';
  version: number;
  runtime?: Runtime;
  /** `available`: the upstream is known to do OAuth (an authorization can be started). */
  oauth?: { status: string; reason: string | null; available?: boolean };
};

export type UpstreamTool = { name: string; title?: string; description?: string; inputSchema?: unknown };

export type ProfileSummary = { id: string; slug: string; name: string; description: string | null; toolPrefix: string; version: number; servers: { id: string; name: string; status: string }[] };

export type StoredEvent = {
  position: number;
  id: string;
  streamId: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
  metadata: { actor?: string; correlationId?: string; recordedAt?: string } & Record<string, unknown>;
};

/** GET /api/me: the admin token, or a signed-in person with their role. */
export type Me = { kind: 'admin'; actor: string } | { kind: 'user'; id: string; name: string; role: 'owner' | 'admin' | 'member'; status: string };

export type ApiKey = {
  id: string;
  name: string;
  prefix: string;
  profiles: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string | null;
  revokedAt: string | null;
  ownerId: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  version: number;
};

export type User = { id: string; name: string; role: 'owner' | 'admin' | 'member'; status: 'enabled' | 'disabled'; createdAt: string; updatedAt: string; version: number };

/** GET /api/servers/:s/tools/:tool/history: one tool's definition over time, oldest first. */
export type ToolDefinitionChange = {
  position: number;
  recordedAt: string;
  actor: string;
  change: 'added' | 'changed' | 'removed' | 'approved';
  hash: string | null;
  diff: { field: string; from: unknown; to: unknown }[];
  approvedBy?: string;
  reason?: 'not_listed' | 'server_removed';
};
export type ToolDefinitionHistory = { serverId: string; name: string; changedUpstream: boolean; changes: ToolDefinitionChange[] };

/** GET /api/servers/:s/credentials: which of the signed-in user's own values are set, never a value. */
/** `oauth`: the person's own OAuth grant of the server (never a token), or null. */
export type UserCredentials = {
  serverId: string;
  configured: boolean;
  bearerToken: boolean;
  env: string[];
  oauth: { expiresAt: string | null; refreshable: boolean; scopes: string[]; grantedAt: string; refreshedAt: string | null } | null;
  /** The last refresh of the grant that failed (kept after a refusal dropped it), until one works or it is granted again. */
  lastRefreshError: { at: string; message: string } | null;
  updatedAt: string | null;
  version: number;
};
