import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ProgressNotificationSchema,
  type RequestId,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamTokenSource } from './authorized-fetch';
import { buildChildEnvironment } from './child-env';
import { stoppedWhileConnecting, toUpstreamError, UpstreamError } from './errors';
import { createHttpTransport } from './http-transports';
import { onAbort } from './request-signals';
import type { ChildProcessRegistry } from './process-group';
import type { StderrTail } from './stderr-tail';
import { ProcessGroupStdioTransport } from './stdio-transport';
import { StreamableHttpClientTransport } from '../transports/streamable-http';
import type {
  McpClientCapabilities,
  McpImplementation,
  McpProgressNotification,
  UpstreamHandlers,
  UpstreamLog,
  UpstreamSpec,
} from './types';

/** One initialised MCP session: an SDK client on one transport (one process for stdio). */
export type UpstreamSession = Readonly<{ client: Client; transport: Transport }>;

export type SessionOptions = Readonly<{
  clientInfo: McpImplementation;
  /** What the gateway tells upstreams it can do; request handlers exist only for these. */
  capabilities: McpClientCapabilities;
  /** Bounds spawning plus the whole initialize handshake. */
  connectTimeoutMs: number;
  stderrTail: StderrTail;
  processes: ChildProcessRegistry;
  stdinGraceMs?: number;
  terminateGraceMs?: number;
  /** settings.upstreamAllowedHosts, read when connecting and at every HTTP request. */
  allowedHosts?: () => readonly string[];
  /** OAuth tokens for HTTP upstreams, asked at every request. */
  tokens?: UpstreamTokenSource;
  /**
   * The owner stopped (its supervisor closed, the server was removed, the gateway is shutting
   * down): a connect in flight gives up at once instead of running out its timeout.
   */
  stopSignal?: AbortSignal;
  /** Where a failure nobody awaits goes (a change stream that would not open, say). */
  log?: UpstreamLog;
}>;

export type SessionHooks = Readonly<{
  /** The handlers at the moment a message arrives, so they can be swapped while connected. */
  handlers: () => UpstreamHandlers;
  onProgress: (params: McpProgressNotification) => void;
}>;

/** The process group transport of a stdio upstream (not yet started). */
export const createStdioTransport = (spec: UpstreamSpec, options: SessionOptions): ProcessGroupStdioTransport => {
  if (!spec.command) throw new UpstreamError('UPSTREAM_MISCONFIGURED', spec, 'transport stdio needs a command');
  return new ProcessGroupStdioTransport({
    serverId: spec.id,
    command: spec.command,
    args: spec.args,
    env: buildChildEnvironment(spec.env),
    cwd: spec.cwd,
    stderrTail: options.stderrTail,
    processes: options.processes,
    stdinGraceMs: options.stdinGraceMs,
    terminateGraceMs: options.terminateGraceMs,
  });
};

const createTransport = (spec: UpstreamSpec, options: SessionOptions): Transport =>
  spec.transport === 'stdio' ? createStdioTransport(spec, options) : createHttpTransport(spec, options.allowedHosts, options.tokens);

const notAvailable = (what: string): McpError =>
  new McpError(ErrorCode.MethodNotFound, `${what} is not available through this gateway right now`);

/** The call an upstream's question was asked during, where the transport can tell (see StreamableHttpClientTransport.relatedRequestOf). */
const callOf = (transport: Transport, questionId: RequestId): string | undefined => {
  const related = transport instanceof StreamableHttpClientTransport ? transport.relatedRequestOf(questionId) : undefined;
  return typeof related === 'string' ? related : undefined;
};

const registerHandlers = (client: Client, transport: Transport, capabilities: McpClientCapabilities, hooks: SessionHooks): void => {
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => hooks.handlers().onToolsListChanged?.());
  client.setNotificationHandler(PromptListChangedNotificationSchema, () =>
    hooks.handlers().onPromptsListChanged?.(),
  );
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () =>
    hooks.handlers().onResourcesListChanged?.(),
  );
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) =>
    hooks.handlers().onResourceUpdated?.(notification.params),
  );
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) =>
    hooks.handlers().onLoggingMessage?.(notification.params),
  );
  // Replaces the SDK's own progress routing: tokens are issued by the connection (see
  // SdkUpstreamConnection.send), which also sees progress for tokens it did not issue.
  client.setNotificationHandler(ProgressNotificationSchema, (notification) => hooks.onProgress(notification.params));

  // The SDK refuses handlers for capabilities that were not declared, and declaring one
  // without a handler would make upstreams send requests nobody answers.
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, (request, extra) => {
      const handler = hooks.handlers().onSamplingRequest;
      if (!handler) throw notAvailable('sampling');
      return handler(request.params, { signal: extra.signal, call: callOf(transport, extra.requestId) });
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, (request, extra) => {
      const handler = hooks.handlers().onElicitationRequest;
      if (!handler) throw notAvailable('elicitation');
      return handler(request.params, { signal: extra.signal, call: callOf(transport, extra.requestId) });
    });
  }
  if (capabilities.roots) {
    client.setRequestHandler(ListRootsRequestSchema, (_request, extra) => {
      const handler = hooks.handlers().onRootsListRequest;
      if (!handler) throw notAvailable('roots');
      return handler({ signal: extra.signal, call: callOf(transport, extra.requestId) });
    });
  }
};

/** "process exited with code 2" for a stdio server that has ended, else null. */
export const describeProcessEnd = (session: UpstreamSession): string | null => {
  const ended = session.transport instanceof ProcessGroupStdioTransport ? session.transport.exitDescription : null;
  return ended && `process ${ended}`;
};

/** A failed connect as an UpstreamError; `method` names the step that was under way. */
export const connectError = (
  error: unknown,
  transport: Transport,
  spec: UpstreamSpec,
  timeoutMs: number,
  method = 'initialize',
): UpstreamError => {
  if (error instanceof UpstreamError) return error;
  const ended = transport instanceof ProcessGroupStdioTransport && transport.exitDescription;
  if (ended && error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
    return new UpstreamError('UPSTREAM_UNAVAILABLE', spec, `process ${ended} during ${method}`, { cause: error });
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && (error as NodeJS.ErrnoException).syscall?.startsWith('spawn')) {
    return new UpstreamError('UPSTREAM_UNAVAILABLE', spec, `could not start "${spec.command}": ${code}`, {
      cause: error,
    });
  }
  return toUpstreamError(error, spec, { method, timeoutMs });
};

/**
 * Starts the transport and runs the initialize handshake within `connectTimeoutMs`. On any
 * failure the transport is torn down (a spawned process is killed) before this rejects.
 * `adopted` is a stdio process already running (asked `server/discover` first): the session
 * takes it over instead of spawning one.
 */
export const openSession = async (
  spec: UpstreamSpec,
  options: SessionOptions,
  hooks: SessionHooks,
  adopted?: ProcessGroupStdioTransport,
): Promise<UpstreamSession> => {
  if (options.stopSignal?.aborted) {
    await adopted?.close();
    throw stoppedWhileConnecting(spec);
  }
  const transport = adopted ?? createTransport(spec, options);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities });
  registerHandlers(client, transport, options.capabilities, hooks);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.connectTimeoutMs);
  const stopListening = onAbort(options.stopSignal, () => deadline.abort());
  try {
    // The SDK's timeout covers the initialize request only; the deadline also covers spawning
    // and the `initialized` notification, which can hang on a stalled HTTP server.
    const aborted = new Promise<never>((_resolve, reject) =>
      deadline.signal.addEventListener('abort', () =>
        reject(new McpError(ErrorCode.RequestTimeout, 'connect deadline passed')),
      ),
    );
    // Raced below; once the connect has won, its later rejection has nobody left to hear it.
    aborted.catch(() => undefined);
    await Promise.race([
      client.connect(transport, { timeout: options.connectTimeoutMs, signal: deadline.signal }),
      aborted,
    ]);
    return { client, transport };
  } catch (error) {
    await closeSession({ client, transport }, { terminateHttpSession: false });
    if (options.stopSignal?.aborted) throw stoppedWhileConnecting(spec);
    const failure = deadline.signal.aborted
      ? new McpError(ErrorCode.RequestTimeout, 'connect deadline passed')
      : error;
    throw connectError(failure, transport, spec, options.connectTimeoutMs);
  } finally {
    clearTimeout(timer);
    stopListening();
  }
};

const TERMINATE_SESSION_TIMEOUT_MS = 1000;

/**
 * Ends a session: for Streamable HTTP, politely DELETEs it (bounded, best effort) so the
 * upstream frees it; then closes the client, which stops a stdio process group.
 */
export const closeSession = async (
  session: UpstreamSession,
  options: { terminateHttpSession: boolean },
): Promise<void> => {
  const { client, transport } = session;
  try {
    if (options.terminateHttpSession && transport instanceof StreamableHttpClientTransport && transport.sessionId) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        // Courtesy to the upstream (it expires the session anyway): its failure changes nothing here.
        transport.terminateSession().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, TERMINATE_SESSION_TIMEOUT_MS))),
      ]).finally(() => clearTimeout(timer));
    }
  } finally {
    // The last step of a close: a client that fails to close has nothing left to release.
    await client.close().catch(() => undefined);
    // The client may already have dropped the transport (a failed connect closes it without
    // waiting); a process group's teardown is awaited here so nothing outlives the session.
    if (transport instanceof ProcessGroupStdioTransport) await transport.close();
  }
};

export const sessionPid = (session: UpstreamSession): number | null =>
  session.transport instanceof ProcessGroupStdioTransport ? session.transport.pid : null;
