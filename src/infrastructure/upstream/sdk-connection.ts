import type { AnyObjectSchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { UpstreamConnectionBase, type RequestParams } from './connection-base';
import { isUpstreamError, toUpstreamError, UpstreamError } from './errors';
import {
  closeSession,
  describeProcessEnd,
  openSession,
  sessionPid,
  type SessionOptions,
  type UpstreamSession,
} from './session';
import type { ProcessGroupStdioTransport } from './stdio-transport';
import type {
  McpImplementation,
  McpProgressNotification,
  McpServerCapabilities,
  UpstreamHandlers,
  UpstreamProgress,
  UpstreamRequestOptions,
  UpstreamSpec,
} from './types';

export type SdkConnectionOptions = SessionOptions &
  Readonly<{
    /** Used when neither the request nor the spec sets a timeout. */
    defaultRequestTimeoutMs: number;
    /** Called once if the connection ends without `close()` (a stdio server exited), with the connection that ended. */
    onUnexpectedClose?: (error: UpstreamError, connection: UpstreamConnectionBase) => void;
  }>;

/**
 * A direct connection to one upstream over the SDK client. For Streamable HTTP it survives
 * the upstream forgetting our session: a 404 re-initialises a fresh session and the request
 * is retried once. It does not restart anything else; that is the supervisor's job.
 */
export class SdkUpstreamConnection extends UpstreamConnectionBase {
  private session: UpstreamSession;
  private handlers: UpstreamHandlers;
  private readonly progressListeners = new Map<string, (progress: UpstreamProgress) => void>();
  private issuedProgressTokens = 0;
  private renewal?: Promise<UpstreamSession>;
  private closing?: Promise<void>;
  private lost = false;

  private constructor(
    readonly spec: UpstreamSpec,
    private readonly options: SdkConnectionOptions,
    handlers: UpstreamHandlers,
  ) {
    super();
    this.handlers = { ...handlers };
  }

  /**
   * Connects and initialises; rejects with an UpstreamError, leaving no process behind. `adopted`
   * is a stdio process already running (it did not speak 2026-07-28), initialised instead of a new one.
   */
  static async open(
    spec: UpstreamSpec,
    options: SdkConnectionOptions,
    handlers: UpstreamHandlers = {},
    adopted?: ProcessGroupStdioTransport,
  ): Promise<SdkUpstreamConnection> {
    const connection = new SdkUpstreamConnection(spec, options, handlers);
    connection.session = await connection.openWatchedSession(adopted);
    return connection;
  }

  get serverCapabilities(): McpServerCapabilities | undefined {
    return this.session.client.getServerCapabilities();
  }

  get serverInfo(): McpImplementation | undefined {
    return this.session.client.getServerVersion();
  }

  /** The MCP revision this connection's initialize negotiated (null before, or when unknown). */
  get protocolVersion(): string | null {
    return (this.session.transport as { protocolVersion?: string }).protocolVersion ?? null;
  }

  get instructions(): string | undefined {
    return this.session.client.getInstructions();
  }

  /** The stdio process id, or null for HTTP upstreams. */
  get pid(): number | null {
    return sessionPid(this.session);
  }

  protected identity(): Pick<UpstreamSpec, 'id' | 'name'> {
    return this.spec;
  }

  setHandlers(handlers: UpstreamHandlers): void {
    Object.assign(this.handlers, handlers);
  }

  async send<S extends AnyObjectSchema>(
    method: string,
    params: RequestParams,
    resultSchema: S,
    options: UpstreamRequestOptions = {},
  ): Promise<SchemaOutput<S>> {
    const session = this.session;
    try {
      return await this.sendOnce(session, method, params, resultSchema, options);
    } catch (error) {
      if (!isUpstreamError(error, 'UPSTREAM_SESSION_EXPIRED') || this.spec.transport !== 'streamable_http') throw error;
      // Exactly one retry, on a freshly initialised session; a second 404 is reported as is.
      const renewed = await this.renewSession(session);
      return await this.sendOnce(renewed, method, params, resultSchema, options);
    }
  }

  async notifyRootsListChanged(): Promise<void> {
    try {
      await this.session.client.sendRootsListChanged();
    } catch (error) {
      throw toUpstreamError(error, this.spec, { method: 'notifications/roots/list_changed', timeoutMs: 0 });
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Waited for, not reported: a renewal that failed has its error with the requests that waited for it.
      await this.renewal?.catch(() => undefined);
      await closeSession(this.session, { terminateHttpSession: true });
    })();
    return this.closing;
  }

  private async sendOnce<S extends AnyObjectSchema>(
    session: UpstreamSession,
    method: string,
    params: RequestParams,
    resultSchema: S,
    options: UpstreamRequestOptions,
  ): Promise<SchemaOutput<S>> {
    if (this.closing) throw new UpstreamError('UPSTREAM_CLOSED', this.spec, `connection closed before ${method}`);
    if (this.lost) throw new UpstreamError('UPSTREAM_UNAVAILABLE', this.spec, `connection lost before ${method}`);
    const timeoutMs = options.timeoutMs ?? this.spec.timeoutMs ?? this.options.defaultRequestTimeoutMs;
    let progressToken: string | undefined;
    let requestParams = params;
    if (options.onprogress) {
      progressToken = `gatehouse-${++this.issuedProgressTokens}`;
      this.progressListeners.set(progressToken, options.onprogress);
      const meta = (params?._meta ?? {}) as Record<string, unknown>;
      requestParams = { ...params, _meta: { ...meta, progressToken } };
    }
    try {
      return await session.client.request({ method, params: requestParams }, resultSchema, {
        signal: options.signal,
        timeout: timeoutMs,
        // Not sent: our Streamable HTTP transport keeps it to name the call of a question asked during this request.
        ...(options.call === undefined ? {} : { relatedRequestId: options.call }),
      });
    } catch (error) {
      // Closed by us (not lost to a crash): say so, rather than blame the upstream.
      if (this.closing && !this.lost && !options.signal?.aborted) {
        throw new UpstreamError('UPSTREAM_CLOSED', this.spec, `connection closed during ${method}`, { cause: error });
      }
      throw toUpstreamError(error, this.spec, { method, timeoutMs, signal: options.signal });
    } finally {
      if (progressToken !== undefined) this.progressListeners.delete(progressToken);
    }
  }

  private routeProgress(params: McpProgressNotification): void {
    const listener =
      typeof params.progressToken === 'string' ? this.progressListeners.get(params.progressToken) : undefined;
    if (!listener) {
      this.handlers.onProgress?.(params);
      return;
    }
    const { progress, total, message } = params;
    listener({ progress, ...(total !== undefined && { total }), ...(message !== undefined && { message }) });
  }

  private async openWatchedSession(adopted?: ProcessGroupStdioTransport): Promise<UpstreamSession> {
    const session = await openSession(this.spec, this.options, {
      handlers: () => this.handlers,
      onProgress: (params) => this.routeProgress(params),
    }, adopted);
    session.client.onclose = () => this.onSessionClosed(session);
    return session;
  }

  private onSessionClosed(session: UpstreamSession): void {
    // Sessions replaced by a renewal, and our own close(), are not news.
    if (session !== this.session || this.closing || this.lost) return;
    this.lost = true;
    const reason = describeProcessEnd(session) ?? 'connection closed';
    this.options.onUnexpectedClose?.(new UpstreamError('UPSTREAM_UNAVAILABLE', this.spec, `${reason} unexpectedly`), this);
  }

  private renewSession(expired: UpstreamSession): Promise<UpstreamSession> {
    if (this.session !== expired) return Promise.resolve(this.session);
    // Concurrent requests that all hit the 404 share one re-initialisation.
    this.renewal ??= (async () => {
      try {
        const fresh = await this.openWatchedSession();
        if (this.closing) {
          await closeSession(fresh, { terminateHttpSession: true });
          throw new UpstreamError('UPSTREAM_CLOSED', this.spec, 'connection closed while re-initialising');
        }
        this.session = fresh;
        // The upstream already dropped it, so no DELETE: just release the old client.
        void closeSession(expired, { terminateHttpSession: false });
        return fresh;
      } finally {
        this.renewal = undefined;
      }
    })();
    return this.renewal;
  }
}
