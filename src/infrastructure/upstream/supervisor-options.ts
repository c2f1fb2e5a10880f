import type { UpstreamTokenSource } from './authorized-fetch';
import type { BackoffPolicy } from './backoff';
import type { ConnectionSlots } from './connection-slots';
import type { ChildProcessRegistry } from './process-group';
import type { SdkConnectionOptions } from './sdk-connection';
import type { StderrTail } from './stderr-tail';
import type { DiscoveryMemory } from './discovery-memory';
import type { McpClientCapabilities, McpImplementation, UpstreamLog } from './types';

export type UpstreamSupervisorOptions = Readonly<{
  clientInfo?: McpImplementation;
  /** Declared to every upstream; the matching request handlers are forwarded to the proxy. */
  clientCapabilities?: McpClientCapabilities;
  /** Bounds spawning plus initialize. Default 30 s. A function is read at every connect (live settings). */
  connectTimeoutMs?: number | (() => number);
  /** For requests when neither the request nor the spec sets one. Default 60 s. */
  defaultRequestTimeoutMs?: number;
  backoff?: Partial<BackoffPolicy>;
  stderrTailBytes?: number;
  stdinGraceMs?: number;
  terminateGraceMs?: number;
  /** Closes the connection after this long without requests; null (default) keeps it. */
  idleTimeoutMs?: number | null;
  /** Shared by the supervisors of one server to cap their simultaneous connections. */
  slots?: ConnectionSlots;
  /** How long a connect waits for a free slot. Default: connectTimeoutMs. */
  slotWaitTimeoutMs?: number;
  processes?: ChildProcessRegistry;
  /** Shared by the supervisors of one server: what its stdio processes did when asked `server/discover`. */
  discoveryMemory?: DiscoveryMemory;
  /** settings.upstreamAllowedHosts (empty: any host), read when connecting and per HTTP request. */
  allowedHosts?: () => readonly string[];
  /** Bearer tokens Gatehouse holds for HTTP upstreams (OAuth), asked at every request. */
  tokens?: UpstreamTokenSource;
  /** Where a failure nobody awaits goes (the gateway's log): closing a connection the supervisor let go of, a change stream that would not open. */
  log?: UpstreamLog;
}>;

/** How the gateway introduces itself to upstreams. */
export const DEFAULT_CLIENT_INFO: McpImplementation = { name: 'gatehouse', version: '0.1.0' };
/**
 * Declared to every upstream by default: the proxy forwards these requests to the downstream
 * client. Form-mode elicitation only, since URL mode needs a client that can open a browser.
 */
export const DEFAULT_CLIENT_CAPABILITIES: McpClientCapabilities = {
  sampling: {},
  elicitation: { form: {} },
  roots: { listChanged: true },
};

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export const connectTimeoutMs = (options: UpstreamSupervisorOptions): number =>
  typeof options.connectTimeoutMs === 'function' ? options.connectTimeoutMs() : (options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);

/** What every connection a supervisor opens is configured with. */
export const connectionSettings = (
  options: UpstreamSupervisorOptions,
  stderrTail: StderrTail,
  processes: ChildProcessRegistry,
  stopSignal: AbortSignal,
): Omit<SdkConnectionOptions, 'onUnexpectedClose'> => ({
  clientInfo: options.clientInfo ?? DEFAULT_CLIENT_INFO,
  capabilities: options.clientCapabilities ?? DEFAULT_CLIENT_CAPABILITIES,
  connectTimeoutMs: connectTimeoutMs(options),
  defaultRequestTimeoutMs: options.defaultRequestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  stderrTail,
  processes,
  stdinGraceMs: options.stdinGraceMs,
  terminateGraceMs: options.terminateGraceMs,
  allowedHosts: options.allowedHosts,
  tokens: options.tokens,
  stopSignal,
  log: options.log,
});
