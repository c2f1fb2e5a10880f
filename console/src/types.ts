/** What the admin API returns, as far as the console reads it. */
export type Runtime = { status: string; lastError: string | null; stderrTail: string; restarts: number; connections: number };

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
  bearerToken: string | null;
  timeoutMs: number | null;
  version: number;
  runtime?: Runtime;
  oauth?: { status: string; reason: string | null };
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
