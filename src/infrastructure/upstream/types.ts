/**
 * The gateway's view of an upstream MCP server. Everything outside this folder talks to
 * upstreams through these types only; the SDK `Client` and its transports stay inside.
 *
 * The MCP payload types (tools, prompts, results…) are the protocol's own shapes. They are
 * re-exported under `Mcp*` names so callers need not import the SDK to name them.
 */
import type {
  CallToolRequestParams,
  CallToolResult,
  ClientCapabilities,
  CompleteRequestParams,
  CompleteResult,
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitRequestParams,
  ElicitResult,
  GetPromptRequestParams,
  GetPromptResult,
  Implementation,
  ListRootsResult,
  LoggingLevel,
  LoggingMessageNotificationParams,
  ProgressNotificationParams,
  Prompt,
  ReadResourceRequestParams,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  ResourceUpdatedNotificationParams,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';

export type McpTool = Tool;
export type McpPrompt = Prompt;
export type McpResource = Resource;
export type McpResourceTemplate = ResourceTemplate;
export type McpCallToolParams = CallToolRequestParams;
export type McpCallToolResult = CallToolResult;
export type McpGetPromptParams = GetPromptRequestParams;
export type McpGetPromptResult = GetPromptResult;
export type McpReadResourceParams = ReadResourceRequestParams;
export type McpReadResourceResult = ReadResourceResult;
export type McpCompleteParams = CompleteRequestParams;
export type McpCompleteResult = CompleteResult;
export type McpLoggingLevel = LoggingLevel;
export type McpLoggingMessage = LoggingMessageNotificationParams;
export type McpResourceUpdated = ResourceUpdatedNotificationParams;
export type McpProgressNotification = ProgressNotificationParams;
export type McpSamplingParams = CreateMessageRequestParams;
export type McpSamplingResult = CreateMessageResult;
export type McpElicitationParams = ElicitRequestParams;
export type McpElicitationResult = ElicitResult;
export type McpRootsResult = ListRootsResult;
export type McpServerCapabilities = ServerCapabilities;
export type McpClientCapabilities = ClientCapabilities;
export type McpImplementation = Implementation;

export type UpstreamTransportKind = 'stdio' | 'sse' | 'streamable_http';

/**
 * One upstream server as configured. Secret-bearing fields (`env`, `headers`, `bearerToken`)
 * arrive here in plaintext: the caller decrypts them just before connecting, and nothing in
 * this folder logs or persists them.
 */
export type UpstreamSpec = Readonly<{
  id: string;
  name: string;
  transport: UpstreamTransportKind;
  /** stdio: the executable, run without a shell. */
  command: string | null;
  args: readonly string[];
  /** stdio: added to a minimal environment; nothing else of the gateway's environment is passed. */
  env: Readonly<Record<string, string>>;
  /** The `env` variables that are not secret (never searched for by the redactor); absent: every one is secret. */
  plainEnvNames?: readonly string[];
  cwd: string | null;
  /** sse / streamable_http: the endpoint. */
  url: string | null;
  headers: Readonly<Record<string, string>>;
  /** The `headers` declared secret: never sent on a per-user connection (absent: none declared). */
  secretHeaderNames?: readonly string[];
  bearerToken: string | null;
  /** Per-request timeout; null means the supervisor's default. */
  timeoutMs: number | null;
  /** Overrides the pool's isolation for this server (see UpstreamIsolation). */
  isolation?: 'shared' | 'per_session';
  /**
   * `per_user`: this spec carries one user's own credentials (see UpstreamPool.get): its
   * connections are that user's and never serve another. Absent: `shared`.
   */
  credentials?: 'shared' | 'per_user';
  /**
   * `per_user`: the user whose credentials this spec carries. The OAuth token source answers a
   * connection with it with that user's own grant, never the server's.
   */
  userId?: string;
}>;

/** A progress update for one request, as the upstream reported it. */
export type UpstreamProgress = Readonly<{ progress: number; total?: number; message?: string }>;

export type UpstreamRequestOptions = {
  /** Aborting cancels the upstream request (`notifications/cancelled` is sent). */
  signal?: AbortSignal;
  /** Overrides the spec's `timeoutMs` for this request. */
  timeoutMs?: number;
  /** When given, a progress token is attached to the request and its updates land here. */
  onprogress?: (progress: UpstreamProgress) => void;
  /**
   * The downstream client the request is for, as it declared itself (at initialize, or in a
   * 2026 request's `_meta`). A 2026-07-28 upstream is told these in the request's envelope, so
   * capability-gated features behave as they would for that client directly.
   */
  client?: Readonly<{ capabilities?: McpClientCapabilities; info?: McpImplementation }>;
  /**
   * 2026-07-28 upstreams: hand an `input_required` result back as it is (the caller passes it on
   * to a client that answers it itself) instead of fulfilling it through the handlers.
   */
  allowInputRequired?: boolean;
  /**
   * Names the call this request serves, for the caller's own use: a question (sampling,
   * elicitation, roots) the upstream sends during it carries the same name in its
   * `UpstreamRequestContext` when the transport can tell (Streamable HTTP: the question came on
   * this request's answer stream). Never sent to the upstream.
   */
  call?: string;
};

/** What a handler of a server→client request gets besides the params. */
export type UpstreamRequestContext = Readonly<{
  /** Aborted when the upstream cancels the request or the connection goes away. */
  signal: AbortSignal;
  /** The `call` of the request this one was sent during, when the transport can tell (see UpstreamRequestOptions.call). */
  call?: string;
}>;

/**
 * Callbacks the proxy installs to forward what the upstream sends on its own initiative.
 * A missing request handler answers the upstream with "method not found".
 */
export type UpstreamHandlers = {
  onToolsListChanged?: () => void;
  onPromptsListChanged?: () => void;
  onResourcesListChanged?: () => void;
  onResourceUpdated?: (params: McpResourceUpdated) => void;
  onLoggingMessage?: (params: McpLoggingMessage) => void;
  /**
   * Progress whose token this connection did not issue. A request sent with `onprogress`
   * receives its own updates there instead; this catches tokens the caller attached itself.
   */
  onProgress?: (params: McpProgressNotification) => void;
  onSamplingRequest?: (params: McpSamplingParams, context: UpstreamRequestContext) => Promise<McpSamplingResult>;
  onElicitationRequest?: (
    params: McpElicitationParams,
    context: UpstreamRequestContext,
  ) => Promise<McpElicitationResult>;
  onRootsListRequest?: (context: UpstreamRequestContext) => Promise<McpRootsResult>;
};

/** One logical MCP client session with an upstream server. */
export interface UpstreamConnection {
  /** Known once connected; undefined before the first successful initialize. */
  readonly serverCapabilities: McpServerCapabilities | undefined;
  readonly serverInfo: McpImplementation | undefined;
  readonly instructions: string | undefined;

  /** The list methods follow `nextCursor` until the upstream has no more pages. */
  listTools(options?: UpstreamRequestOptions): Promise<McpTool[]>;
  listPrompts(options?: UpstreamRequestOptions): Promise<McpPrompt[]>;
  listResources(options?: UpstreamRequestOptions): Promise<McpResource[]>;
  listResourceTemplates(options?: UpstreamRequestOptions): Promise<McpResourceTemplate[]>;
  callTool(params: McpCallToolParams, options?: UpstreamRequestOptions): Promise<McpCallToolResult>;
  getPrompt(params: McpGetPromptParams, options?: UpstreamRequestOptions): Promise<McpGetPromptResult>;
  readResource(params: McpReadResourceParams, options?: UpstreamRequestOptions): Promise<McpReadResourceResult>;
  subscribe(uri: string, options?: UpstreamRequestOptions): Promise<void>;
  unsubscribe(uri: string, options?: UpstreamRequestOptions): Promise<void>;
  complete(params: McpCompleteParams, options?: UpstreamRequestOptions): Promise<McpCompleteResult>;
  setLoggingLevel(level: McpLoggingLevel, options?: UpstreamRequestOptions): Promise<void>;
  ping(options?: UpstreamRequestOptions): Promise<void>;
  /** Any request, for methods the typed helpers do not cover; the result is passed through as is. */
  request(
    method: string,
    params?: Record<string, unknown>,
    options?: UpstreamRequestOptions,
  ): Promise<Record<string, unknown>>;
  /** Tells the upstream that the (downstream) client's roots changed. */
  notifyRootsListChanged(): Promise<void>;
  /** Sets or replaces the given handlers; a key set to undefined removes that handler. */
  setHandlers(handlers: UpstreamHandlers): void;
  close(): Promise<void>;
}

export type UpstreamStatus = 'idle' | 'connecting' | 'ready' | 'unhealthy' | 'restarting' | 'stopped';

export type UpstreamHealth = Readonly<{
  serverId: string;
  serverName: string;
  status: UpstreamStatus;
  /** ISO-8601 time the status last changed. */
  since: string;
  /**
   * The latest failure, kept after the upstream recovers: `recoveredAt` is then the time it next
   * connected or answered a request (null while the failure is the current state).
   */
  lastError: Readonly<{ code: string; message: string; at: string; recoveredAt: string | null }> | null;
  /** The last few KiB the stdio process wrote to stderr (kept across restarts). */
  stderrTail: string;
  /** Reconnect attempts made after a crash or a failed connect. */
  restarts: number;
  /**
   * Connect attempts that failed since the upstream last connected or answered (0 once it
   * does); for stdio every process start counts, the one asked `server/discover` included.
   */
  failedAttempts: number;
  /** ISO-8601 time of the next scheduled reconnect attempt, if one is scheduled. */
  nextAttemptAt: string | null;
  /** The stdio process id while one is running. */
  pid: number | null;
  /**
   * The MCP revision the gateway speaks with this upstream, as its initialize negotiated it
   * (null while not connected): 2026-07-28 for a Streamable HTTP or stdio upstream whose
   * `server/discover` offers it (spoken statelessly), else what initialize agreed on (2025-11-25
   * or earlier; always so for legacy SSE, a transport 2026-07-28 does not have).
   */
  protocolVersion: string | null;
}>;

/** Where the upstream layer reports a failure nobody awaits (the gateway's log); only ids and messages, never a spec's values. */
export type UpstreamLog = (level: 'warn', message: string, fields: object) => void;
