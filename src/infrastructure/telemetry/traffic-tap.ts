import { performance } from 'node:perf_hooks';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { GatehouseMetrics } from './metrics';
import type { Redactor } from './redaction';
import type { ServerRef, TrafficExchange, TrafficKind, TrafficSink, TrafficStatus } from './traffic-types';

/** JSON-RPC -32001, what the gateway answers when an upstream did not answer in time. */
const REQUEST_TIMEOUT = -32001;
/** A client that never gets answers cannot grow this map without bound. */
const MAX_PENDING_PER_SESSION = 10_000;

type RequestId = string | number;
type Message = Readonly<{ id?: RequestId; method?: string; params?: Record<string, unknown>; result?: unknown; error?: { code: number; message: string; data?: unknown } }>;

/**
 * Who the session is: read lazily, since the profile may be reconfigured mid-session. A
 * request's answer reads it after the request was served, so with the profile the request was
 * served under (turning debug logging on logs the very next call).
 */
export type SessionIdentity = Readonly<{
  sessionId: string;
  profileId: string;
  /** The profile's current slug and whether its debug logging is on; null once deleted. */
  profile: () => { slug: string; debugLogging: boolean } | null;
  clientName: () => string | null;
}>;

type Pending = {
  method: string;
  target: string | null;
  at: number;
  started: number;
  server: ServerRef | null;
  fannedOut: boolean;
  profileSlug: string;
  /** Logged only when the profile logs its traffic (known once the request has been served). */
  request: Message;
  /** The secrets as they were when the request came in: one rotated since stays hidden. */
  redactor: Redactor;
};

type Outcome = Readonly<{
  kind: TrafficKind;
  status: TrafficStatus;
  errorCode: number | null;
  errorMessage: string | null;
  response: Message | undefined;
  result: unknown;
  durationMs: number;
}>;

const targetOf = (method: string, params: Record<string, unknown> | undefined): string | null => {
  if (params === undefined) return null;
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  switch (method) {
    case 'tools/call':
    case 'prompts/get':
      return text(params.name);
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return text(params.uri);
    case 'completion/complete': {
      const ref = params.ref as { name?: unknown; uri?: unknown } | undefined;
      return text(ref?.name) ?? text(ref?.uri);
    }
    default:
      return null;
  }
};

export type TrafficRecorderOptions = Readonly<{
  sink: TrafficSink;
  metrics: GatehouseMetrics | null;
  redactor: () => Redactor;
}>;

/** Hands each downstream session a tap; what the MCP gateway is given. */
export class TrafficRecorder {
  constructor(private readonly options: TrafficRecorderOptions) {}

  tap(session: SessionIdentity): TrafficTap {
    return new TrafficTap(session, this.options);
  }
}

/**
 * Watches one downstream session's transport: every request from the client is timed from
 * its arrival to the answer the SDK sends, counted in the metrics, and — when the profile has
 * debug logging on — handed to the journal with references to both messages. Nothing here
 * serializes, redacts or writes: that is the journal's batch work, off the request path.
 */
export class TrafficTap {
  private readonly pending = new Map<RequestId, Pending>();

  constructor(
    private readonly session: SessionIdentity,
    private readonly options: TrafficRecorderOptions,
  ) {}

  /**
   * Call before `server.connect(transport)`: the SDK chains `onmessage`/`onclose` handlers
   * that are already set, and looks `send` up on every call, so all three can be wrapped.
   */
  attach(transport: Transport): void {
    const onmessage = transport.onmessage;
    transport.onmessage = <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo): void => {
      this.incoming(message as Message);
      onmessage?.(message, extra);
    };
    const onclose = transport.onclose;
    transport.onclose = (): void => {
      onclose?.();
      this.closed();
    };
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      this.outgoing(message as Message);
      return send(message, options);
    };
  }

  /**
   * The `onRoute` of a request's upstream options: records which server the proxy chose. A
   * request sent to several servers (logging/setLevel) is attributed to none.
   */
  router(requestId: RequestId): (server: ServerRef) => void {
    return (server) => {
      const pending = this.pending.get(requestId);
      if (!pending || pending.fannedOut) return;
      if (pending.server !== null && pending.server.id !== server.id) {
        pending.server = null;
        pending.fannedOut = true;
        return;
      }
      pending.server = { id: server.id, name: server.name };
    };
  }

  private incoming(message: Message): void {
    if (typeof message.method !== 'string') return; // a client's answer to a server→client request
    if (message.id === undefined) {
      const profile = this.session.profile();
      const slug = profile?.slug ?? '';
      this.options.metrics?.countNotification(slug, message.method);
      if (message.method === 'notifications/cancelled') this.cancelled(message.params?.requestId as RequestId | undefined);
      if (profile?.debugLogging === true) {
        const notification: Pending = { method: message.method, target: null, at: Date.now(), started: 0, server: null, fannedOut: false, profileSlug: slug, request: message, redactor: this.options.redactor() };
        this.emit(notification, { kind: 'notification', status: 'ok', errorCode: null, errorMessage: null, response: undefined, result: undefined, durationMs: 0 });
      }
      return;
    }
    if (this.pending.size >= MAX_PENDING_PER_SESSION) return;
    this.pending.set(message.id, {
      method: message.method,
      target: targetOf(message.method, message.params),
      at: Date.now(),
      started: performance.now(),
      server: null,
      fannedOut: false,
      profileSlug: '',
      request: message,
      redactor: this.options.redactor(),
    });
  }

  private outgoing(message: Message): void {
    if (message.id === undefined || message.method !== undefined) return; // notifications and server→client requests
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.error !== undefined) {
      const status: TrafficStatus = message.error.code === REQUEST_TIMEOUT ? 'timeout' : 'error';
      this.finish(pending, status, message.error.code, message.error.message, message, message.error);
      return;
    }
    // A tool that ran and failed (`isError`) is a failed call for whoever debugs it.
    const failedTool = pending.method === 'tools/call' && (message.result as { isError?: unknown } | undefined)?.isError === true;
    this.finish(pending, failedTool ? 'error' : 'ok', null, null, message, message.result);
  }

  private cancelled(requestId: RequestId | undefined): void {
    const pending = requestId === undefined ? undefined : this.pending.get(requestId);
    if (!pending || requestId === undefined) return;
    this.pending.delete(requestId);
    this.finish(pending, 'error', null, 'cancelled by the client', undefined, undefined);
  }

  private closed(): void {
    for (const pending of this.pending.values()) this.finish(pending, 'error', null, 'the session closed before the answer', undefined, undefined);
    this.pending.clear();
  }

  private finish(pending: Pending, status: TrafficStatus, errorCode: number | null, errorMessage: string | null, response: Message | undefined, result: unknown): void {
    const durationMs = performance.now() - pending.started;
    const profile = this.session.profile();
    pending.profileSlug = profile?.slug ?? '';
    this.options.metrics?.observeRequest(pending.profileSlug, pending.server?.name ?? '', pending.method, status, durationMs / 1000);
    if (profile?.debugLogging === true) this.emit(pending, { kind: 'request', status, errorCode, errorMessage, response, result, durationMs });
  }

  private emit(pending: Pending, outcome: Outcome): void {
    const exchange: TrafficExchange = {
      at: pending.at,
      profileId: this.session.profileId,
      profileSlug: pending.profileSlug,
      sessionId: this.session.sessionId,
      clientName: this.session.clientName(),
      server: pending.server,
      kind: outcome.kind,
      method: pending.method,
      target: pending.target,
      status: outcome.status,
      errorCode: outcome.errorCode,
      errorMessage: outcome.errorMessage,
      durationMs: outcome.durationMs,
      request: pending.request,
      response: outcome.response,
      params: pending.request?.params,
      result: outcome.result,
      redactor: pending.redactor,
    };
    try {
      this.options.sink.record(exchange);
    } catch {
      // Telemetry must never break the session it observes.
    }
  }
}
