import type { AnyObjectSchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { DEFAULT_BACKOFF, RetrySchedule } from './backoff';
import { UpstreamConnectionBase, type RequestParams } from './connection-base';
import { isUpstreamError, toUpstreamError, UpstreamError } from './errors';
import { abortable, closeOwned, openOwnedConnection, type LiveConnection, type OwnedConnection } from './owned-connection';
import { ChildProcessRegistry } from './process-group';
import { needsReconnect } from './spec';
import { StderrTail } from './stderr-tail';
import { DiscoveryMemory } from './discovery-memory';
import { ConnectionDrain } from './connection-drain';
import type { ModernUpstreamConnection } from './modern-connection';
import { IdleTimer } from './idle-timer';
import { SupervisorHealth } from './supervisor-health';
import { connectionSettings, connectTimeoutMs, type UpstreamSupervisorOptions } from './supervisor-options';
import type {
  McpImplementation,
  McpServerCapabilities,
  UpstreamHandlers,
  UpstreamHealth,
  UpstreamRequestOptions,
  UpstreamSpec,
} from './types';
import { errorMessage } from '../../domain/shared';

/** A reconfigure can supersede the attempt a request waits on; it then waits on the next one. */
const MAX_SUPERSEDED_ATTEMPTS = 3;

/**
 * Keeps one connection to one upstream: connects lazily on first use, restarts it with
 * exponential backoff when it dies, closes it when idle (if asked to), and reports health.
 * It is itself an UpstreamConnection, so the proxy holds it and never sees the restarts.
 *
 * While a reconnect is waiting out its backoff, requests fail at once (UPSTREAM_UNAVAILABLE)
 * instead of queueing: the proxy fans out to many servers and must not be held up by one.
 */
export class UpstreamSupervisor extends UpstreamConnectionBase {
  /** The resources subscribed through this server's connection, asked again on each new one. */
  private readonly subscriptions = new Set<string>();
  private specInUse: UpstreamSpec;
  private readonly options: UpstreamSupervisorOptions;
  private readonly retries: RetrySchedule;
  private readonly stderrTail: StderrTail;
  private readonly processes: ChildProcessRegistry;
  private readonly state: SupervisorHealth;
  private readonly handlers: UpstreamHandlers = {};
  private readonly stopSignal = new AbortController();
  private owned?: OwnedConnection;
  private connecting?: Promise<LiveConnection>;
  /**
   * What requests wait on while `connecting` is set: the same attempt, or its rejection the
   * moment the supervisor is closed. Made once per attempt, so that any number of waiting
   * requests put one listener on the stop signal.
   */
  private waitable?: Promise<LiveConnection>;
  private readonly idleTimer: IdleTimer;
  private inFlight = 0;
  /** Bumped by reconfigure and close, so a connect attempt can tell it was superseded. */
  private generation = 0;
  private stopping?: Promise<void>;
  /** Why `close` was called: to stop for good, or to be replaced by a new connection (see close). */
  private closedFor: 'stopped' | 'replaced' = 'stopped';
  /** What this (stdio) server's processes did when asked `server/discover`, by configuration. */
  private readonly discovery: DiscoveryMemory;
  /** Connections replaced while serving, closed once their requests are answered. */
  private readonly drain = new ConnectionDrain();

  constructor(spec: UpstreamSpec, options: UpstreamSupervisorOptions = {}) {
    super();
    this.specInUse = spec;
    this.options = options;
    this.retries = new RetrySchedule({ ...DEFAULT_BACKOFF, ...options.backoff });
    this.stderrTail = new StderrTail(options.stderrTailBytes);
    this.processes = options.processes ?? new ChildProcessRegistry();
    this.discovery = options.discoveryMemory ?? new DiscoveryMemory();
    this.state = new SupervisorHealth(spec, this.stderrTail, () => this.owned?.connection.pid ?? null, () => this.owned?.connection.protocolVersion ?? null);
    this.idleTimer = new IdleTimer(options.idleTimeoutMs, () => this.closeIdleConnection());
  }

  get spec(): UpstreamSpec {
    return this.specInUse;
  }

  get serverCapabilities(): McpServerCapabilities | undefined {
    return this.owned?.connection.serverCapabilities;
  }

  get serverInfo(): McpImplementation | undefined {
    return this.owned?.connection.serverInfo;
  }

  get instructions(): string | undefined {
    return this.owned?.connection.instructions;
  }

  health(): UpstreamHealth {
    return this.state.snapshot();
  }

  /** Calls `listener` on every health change; returns the unsubscribe function. */
  onHealthChange(listener: (health: UpstreamHealth) => void): () => void {
    return this.state.subscribe(listener);
  }

  protected identity(): Pick<UpstreamSpec, 'id' | 'name'> {
    return this.specInUse;
  }

  /** Connects now instead of on first use (e.g. to discover tools at startup). */
  async connect(signal?: AbortSignal): Promise<void> {
    await this.ensureConnection(signal);
  }

  /**
   * Someone asked for this server now (an admin's "connect and list tools", say just after
   * authorizing it): a reconnect waiting out its backoff starts at once instead of refusing.
   * The failure count is kept, so a server that still fails backs off as before.
   */
  retryNow(): void {
    if (this.stopping || this.owned || this.connecting || !this.retries.pending) return;
    this.retries.cancel();
    this.state.setNextAttempt(null);
    this.startConnecting();
  }

  setHandlers(handlers: UpstreamHandlers): void {
    Object.assign(this.handlers, handlers);
    this.owned?.connection.setHandlers(handlers);
  }

  async send<S extends AnyObjectSchema>(
    method: string,
    params: RequestParams,
    resultSchema: S,
    options: UpstreamRequestOptions = {},
  ): Promise<SchemaOutput<S>> {
    this.inFlight++;
    this.idleTimer.clear();
    try {
      const connection = await this.ensureConnection(options.signal);
      // Closed while the caller resumed: still not sent.
      if (this.stopping) throw this.closedError();
      try {
        const result = await this.drain.around(connection, () => connection.send(method, params, resultSchema, options));
        if (this.owned?.connection === connection) this.state.markServing();
        return result;
      } catch (error) {
        if (this.owned?.connection === connection) this.onRequestFailed(connection, error);
        throw error;
      }
    } finally {
      this.inFlight--;
      this.armIdleTimer();
    }
  }

  override async subscribe(uri: string, options?: UpstreamRequestOptions): Promise<void> {
    await super.subscribe(uri, options);
    this.subscriptions.add(uri);
  }

  override async unsubscribe(uri: string, options?: UpstreamRequestOptions): Promise<void> {
    this.subscriptions.delete(uri);
    await super.unsubscribe(uri, options);
  }

  /**
   * A new connection (a restart, a reconnect, a late 2026 answer) is a new upstream session that
   * knows nothing of the resources the one before it was subscribed to: it is asked again for
   * each (a refusal is kept as the server's last request failure).
   */
  private resubscribe(connection: LiveConnection): void {
    for (const uri of this.subscriptions) void connection.subscribe(uri).catch((error: unknown) => this.state.noteRequestFailure(error));
  }

  async notifyRootsListChanged(): Promise<void> {
    // Nothing connected: the upstream will ask for roots when it next connects.
    await this.owned?.connection.notifyRootsListChanged();
  }

  /**
   * Applies a changed configuration. When it changes how the upstream is reached, the current
   * connection is closed and, if it was in use, a new one is started with the new spec.
   */
  async reconfigure(spec: UpstreamSpec): Promise<void> {
    if (spec.id !== this.specInUse.id) throw new Error(`reconfigure: server id ${spec.id} ≠ ${this.specInUse.id}`);
    const reconnect = needsReconnect(this.specInUse, spec);
    this.specInUse = spec;
    this.state.setSpec(spec);
    if (!reconnect || this.stopping) return;
    const wasInUse = this.owned !== undefined || this.connecting !== undefined || this.retries.pending;
    this.generation++;
    this.retries.reset();
    this.state.setNextAttempt(null);
    this.idleTimer.clear();
    this.connecting = undefined;
    const previous = this.dropConnection();
    if (wasInUse) this.startConnecting();
    else this.state.setStatus('idle');
    if (previous) await closeOwned(previous);
  }

  /**
   * Stops for good. `replaced`: the owner makes a new connection in its place (its user's
   * credentials changed), so the requests still waiting for this one to connect, never sent,
   * fail as resendable (UpstreamError.resendable) and their caller sends them on the new one.
   * Either way they fail at once, not when the connect attempt they waited on ends.
   */
  close(options: Readonly<{ replaced?: boolean }> = {}): Promise<void> {
    this.stopping ??= (async () => {
      this.closedFor = options.replaced === true ? 'replaced' : 'stopped';
      this.generation++;
      this.stopSignal.abort();
      this.retries.cancel();
      this.state.setNextAttempt(null);
      this.idleTimer.clear();
      this.state.setStatus('stopped');
      const attempt = this.connecting;
      this.connecting = undefined;
      const previous = this.dropConnection();
      try {
        // A connect in flight notices the new generation and closes what it opened. Its failure is
        // news to nobody: the requests waiting on it already failed as closed, and the supervisor is stopping.
        await attempt?.catch(() => undefined);
      } finally {
        await Promise.all([previous && closeOwned(previous), this.drain.closeRetiring()]);
      }
    })();
    return this.stopping;
  }

  private async ensureConnection(signal?: AbortSignal): Promise<LiveConnection> {
    for (let attempt = 0; attempt < MAX_SUPERSEDED_ATTEMPTS; attempt++) {
      if (this.stopping) throw this.closedError();
      if (this.owned) return this.owned.connection;
      if (!this.connecting) {
        if (this.retries.pending) throw this.state.unavailableUntilRetry();
        this.startConnecting();
      }
      try {
        return await abortable(this.waitable!, signal, this.specInUse);
      } catch (error) {
        // Its caller gave up: that is the answer, whatever else happened meanwhile.
        if (signal?.aborted) throw error;
        if (this.stopping) throw this.closedError();
        // Superseded by a reconfigure: wait on the attempt that replaced it.
        if (!isUpstreamError(error, 'UPSTREAM_CLOSED')) throw error;
      }
    }
    throw new UpstreamError('UPSTREAM_UNAVAILABLE', this.specInUse, 'configuration kept changing while connecting');
  }

  /** What a request that was never sent gets once the supervisor is closed. */
  private closedError(): UpstreamError {
    return this.closedFor === 'replaced'
      ? new UpstreamError('UPSTREAM_CLOSED', this.specInUse, 'its connection was replaced before the request was sent', { resendable: true })
      : new UpstreamError('UPSTREAM_CLOSED', this.specInUse, 'supervisor stopped');
  }

  /** `attempt`, or its rejection the moment the supervisor is closed (a slow connect is not waited out). */
  private untilClosed<T>(attempt: Promise<T>): Promise<T> {
    const stop = this.stopSignal.signal;
    if (stop.aborted) return Promise.reject(this.closedError());
    return new Promise<T>((resolve, reject) => {
      const onStop = (): void => reject(this.closedError());
      stop.addEventListener('abort', onStop, { once: true });
      attempt.then(resolve, reject).finally(() => stop.removeEventListener('abort', onStop));
    });
  }

  private startConnecting(): void {
    this.state.setStatus('connecting');
    const attempt = this.connectOnce(this.generation);
    // Automatic restarts have nobody awaiting them; their failure is recorded in health.
    attempt.catch(() => undefined);
    this.connecting = attempt;
    this.waitable = this.untilClosed(attempt);
    // Awaited by the requests that wait on this attempt, when there are any.
    this.waitable.catch(() => undefined);
  }

  private async connectOnce(generation: number): Promise<LiveConnection> {
    const spec = this.specInUse;
    let owned: OwnedConnection;
    try {
      owned = await openOwnedConnection({
        spec,
        settings: connectionSettings(this.options, this.stderrTail, this.processes, this.stopSignal.signal),
        handlers: this.handlers,
        slots: this.options.slots,
        slotWaitTimeoutMs: this.options.slotWaitTimeoutMs ?? connectTimeoutMs(this.options),
        stopSignal: this.stopSignal.signal,
        onLost: (connection, error) => this.onConnectionLost(connection, error),
        discovery: this.discovery,
        onExitedOnDiscover: () => this.state.countFailedAttempt(),
      });
    } catch (error) {
      const failure = toUpstreamError(error, spec, { method: 'initialize', timeoutMs: connectTimeoutMs(this.options) });
      if (generation === this.generation) this.onConnectFailed(failure);
      throw failure;
    }
    if (generation !== this.generation) {
      await closeOwned(owned);
      throw new UpstreamError('UPSTREAM_CLOSED', spec, 'connect attempt superseded');
    }
    this.owned = owned;
    this.connecting = undefined;
    this.retries.markReady();
    this.state.setStatus('ready');
    this.armIdleTimer();
    this.resubscribe(owned.connection);
    void owned.late?.answer.then((modern) => modern && this.adoptLateAnswer(owned, modern));
    return owned.connection;
  }

  /**
   * A slow 2026 server answered `server/discover` after its window, while it was initialised as
   * 2025: the requests that follow go to the 2026 connection, and the 2025 session is closed once
   * the requests in flight on it are answered. Unless that session was dropped meanwhile.
   */
  private adoptLateAnswer(previous: OwnedConnection, modern: ModernUpstreamConnection): void {
    if (this.owned !== previous || this.stopping) {
      this.closeInBackground(modern.close());
      return;
    }
    modern.setHandlers(this.handlers);
    this.owned = { connection: modern, releaseSlot: previous.releaseSlot };
    this.drain.retire(previous.connection);
    this.state.connectionChanged();
    this.resubscribe(modern);
  }

  private onRequestFailed(connection: LiveConnection, error: unknown): void {
    // The legacy SSE transport never reports that its stream is gone for good; a failed
    // POST is the only sign, so the connection is replaced as if it had crashed.
    if (this.specInUse.transport === 'sse' && isUpstreamError(error, 'UPSTREAM_UNAVAILABLE')) {
      this.onConnectionLost(connection, error);
    } else {
      this.state.noteRequestFailure(error);
    }
  }

  private onConnectFailed(failure: UpstreamError): void {
    this.connecting = undefined;
    if (failure.code === 'UPSTREAM_AT_CAPACITY') {
      // Not the server's fault: stay lazy, the next request queues for a slot again.
      this.state.setStatus('idle');
      return;
    }
    this.state.countFailedAttempt();
    this.state.recordError(failure);
    this.scheduleRetry('unhealthy');
  }

  private onConnectionLost(connection: UpstreamConnectionBase, error: UpstreamError): void {
    if (this.owned?.connection !== connection || this.stopping) return;
    this.closeInBackground(closeOwned(this.dropConnection()!));
    this.retries.markLost();
    this.state.recordError(error);
    this.scheduleRetry('restarting');
  }

  private scheduleRetry(status: 'unhealthy' | 'restarting'): void {
    // A broken configuration will not fix itself; the next request tries again instead.
    if (this.state.lastErrorCode() === 'UPSTREAM_MISCONFIGURED') {
      this.state.setStatus('unhealthy');
      return;
    }
    const nextAttempt = this.retries.schedule(() => {
      this.state.setNextAttempt(null);
      this.state.countRestart();
      this.startConnecting();
    });
    this.state.setNextAttempt(nextAttempt);
    this.state.setStatus(status);
  }

  private dropConnection(): OwnedConnection | undefined {
    const owned = this.owned;
    this.owned = undefined;
    return owned;
  }

  private armIdleTimer(): void {
    if (this.inFlight === 0 && this.owned) this.idleTimer.arm();
  }

  private closeIdleConnection(): void {
    if (this.inFlight > 0 || !this.owned || this.stopping) return;
    const owned = this.dropConnection()!;
    this.state.setStatus('idle');
    this.closeInBackground(closeOwned(owned));
  }

  /**
   * A close nobody waits for (a connection lost or idle, a late answer not taken): its failure (a
   * process group that could not be signalled, say) is logged rather than left unhandled, which
   * would end the process. Only the server id: a per-user spec carries its user's credentials.
   */
  private closeInBackground(closing: Promise<void>): void {
    closing.catch((error: unknown) =>
      this.options.log?.('warn', 'upstream connection not closed cleanly', { serverId: this.spec.id, error: errorMessage(error) }),
    );
  }
}
