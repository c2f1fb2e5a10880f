import type { DomainEvent, SealedMap, SealedSecret } from '../shared';
import type { EnvMap } from './env';

export const TRANSPORTS = ['stdio', 'sse', 'streamable_http'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** `shared`: one upstream connection for every client (default); `per_session`: one per client, capped. */
export const ISOLATIONS = ['shared', 'per_session'] as const;
export type Isolation = (typeof ISOLATIONS)[number];

/**
 * Whether the tool definitions a server lists must match the ones approved: `off` (default),
 * `changes` (a tool changed since its approval waits for a new one; new tools pass) or `all`
 * (new tools wait too). See pinning.ts.
 */
export const TOOL_PINNINGS = ['off', 'changes', 'all'] as const;
export type ToolPinning = (typeof TOOL_PINNINGS)[number];

/**
 * Whose secrets reach the upstream: `shared` (default): the server's own bearer token, headers
 * and env, for every client; `per_user`: the bearer token and env values of the user behind the
 * downstream session (set by each user for themselves), one connection per user.
 */
export const CREDENTIAL_MODES = ['shared', 'per_user'] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];

/** Everything about a server except its identity and name. Secrets are sealed; env values are sealed or plain. */
export type ServerSettings = Readonly<{
  description: string | null;
  transport: Transport;
  command: string | null;
  args: readonly string[];
  env: EnvMap;
  cwd: string | null;
  url: string | null;
  headers: SealedMap;
  /**
   * The headers declared secret (a subset of `headers`' names, in their order): never sent on a
   * per_user connection. Every header value is sealed; this flag says which are the server's
   * credentials rather than configuration. Absent (events recorded before it existed): none. A
   * header that looks like a credential (isSecretHeader) is kept off per-user connections
   * whether flagged or not.
   */
  secretHeaders?: readonly string[];
  bearerToken: SealedSecret | null;
  timeoutMs: number | null;
  isolation: Isolation;
  toolPinning: ToolPinning;
  credentials: CredentialMode;
}>;

export type ServerSnapshot = Readonly<ServerSettings & { serverId: string; name: string }>;

/** A tool definition as discovered upstream (the `tools/list` entry, kept verbatim). */
export type DiscoveredTool = Readonly<{
  name: string;
  title?: string;
  description?: string;
  inputSchema: Readonly<Record<string, unknown>>;
  outputSchema?: Readonly<Record<string, unknown>>;
  annotations?: Readonly<Record<string, unknown>>;
}>;

/** A tool definition someone approved, and its hash (see toolDefinitionHash). */
export type ApprovedTool = Readonly<{ name: string; hash: string; definition: DiscoveredTool }>;

/** `approveFirstDiscovery`: the registrant approved in advance what the first discovery finds. */
export type ServerRegistered = DomainEvent<'ServerRegistered', ServerSnapshot & { approveFirstDiscovery?: boolean }>;
/** Only the changed settings are carried, so the audit trail shows exactly what changed. */
export type ServerReconfigured = DomainEvent<'ServerReconfigured', { serverId: string; changes: Partial<ServerSettings> }>;
export type ServerRenamed = DomainEvent<'ServerRenamed', { serverId: string; name: string; previousName: string }>;
export type ServerRemoved = DomainEvent<'ServerRemoved', { serverId: string; name: string }>;
/** A removed server brought back by a revert, with the whole snapshot it is restored to. */
export type ServerRestored = DomainEvent<'ServerRestored', ServerSnapshot>;
/** Appended only when the upstream's tool definitions differ from the last recorded ones. */
export type ServerToolsDiscovered = DomainEvent<
  'ServerToolsDiscovered',
  { serverId: string; tools: readonly DiscoveredTool[]; fingerprint: string }
>;

/**
 * Tool definitions approved (added to those approved before, a tool's earlier approval
 * replaced). `approvedBy`: the actor who approved, or `system:first-discovery` (approved in
 * advance at registration) or `system:first-use` (a new tool under `changes` pinning).
 */
export type ToolDefinitionApproved = DomainEvent<
  'ToolDefinitionApproved',
  { serverId: string; tools: readonly ApprovedTool[]; approvedBy: string }
>;
/** The whole set of approved definitions replaced (a revert, an import). */
export type ToolApprovalsRestored = DomainEvent<'ToolApprovalsRestored', { serverId: string; tools: readonly ApprovedTool[] }>;

export type ServerEvent =
  | ServerRegistered
  | ServerReconfigured
  | ServerRenamed
  | ServerRemoved
  | ServerRestored
  | ServerToolsDiscovered
  | ToolDefinitionApproved
  | ToolApprovalsRestored;

export const SERVER_EVENT_TYPES: readonly ServerEvent['type'][] = [
  'ServerRegistered',
  'ServerReconfigured',
  'ServerRenamed',
  'ServerRemoved',
  'ServerRestored',
  'ServerToolsDiscovered',
  'ToolDefinitionApproved',
  'ToolApprovalsRestored',
];

export const serverStreamId = (serverId: string): string => `server-${serverId}`;
