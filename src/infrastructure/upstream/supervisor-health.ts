import { UpstreamError } from './errors';
import type { StderrTail } from './stderr-tail';
import type { UpstreamHealth, UpstreamSpec, UpstreamStatus } from './types';

type HealthListener = (health: UpstreamHealth) => void;

type LastError = { code: string; message: string; at: string; recoveredAt: string | null };

/**
 * The observable half of a supervisor: status, last error, restart count, failed attempts.
 * Kept apart from the connection logic so that what operators see is assembled in one place.
 */
export class SupervisorHealth {
  private status: UpstreamStatus = 'idle';
  private since = new Date();
  private lastError: LastError | null = null;
  private restarts = 0;
  /** Connect attempts (process starts, for stdio) that failed since the upstream last served. */
  private failedAttempts = 0;
  private nextAttemptAt: Date | null = null;
  private readonly listeners = new Set<HealthListener>();

  constructor(
    private spec: UpstreamSpec,
    private readonly stderrTail: StderrTail,
    private readonly pid: () => number | null,
    private readonly protocolVersion: () => string | null = () => null,
  ) {}

  setSpec(spec: UpstreamSpec): void {
    this.spec = spec;
  }

  setStatus(status: UpstreamStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.since = new Date();
    if (status === 'ready') this.recovered(this.since);
    this.emit();
  }

  /** The connection was replaced under the same status (a late 2026 answer adopted), so its protocolVersion changed. */
  connectionChanged(): void {
    this.emit();
  }

  recordError(error: UpstreamError): void {
    this.lastError = { code: error.code, message: error.message, at: new Date().toISOString(), recoveredAt: null };
    this.emit();
  }

  /** A connect attempt failed; for stdio also a process that exited on `server/discover` (it was started, and it died). */
  countFailedAttempt(): void {
    this.failedAttempts++;
  }

  lastErrorCode(): string | null {
    return this.lastError?.code ?? null;
  }

  countRestart(): void {
    this.restarts++;
  }

  setNextAttempt(at: Date | null): void {
    this.nextAttemptAt = at;
  }

  /** A request succeeded: an upstream marked unhealthy by failed requests has recovered. */
  markServing(): void {
    if (this.status === 'unhealthy') this.setStatus('ready');
    else if (this.lastError !== null && this.lastError.recoveredAt === null) {
      this.recovered(new Date());
      this.emit();
    }
  }

  /**
   * The upstream serves again: the last error is kept (an operator wants to know what happened)
   * but marked as past, so nobody reads it as the present state, and the failures start over.
   */
  private recovered(at: Date): void {
    this.failedAttempts = 0;
    if (this.lastError !== null && this.lastError.recoveredAt === null) this.lastError = { ...this.lastError, recoveredAt: at.toISOString() };
  }

  /**
   * A request on a live connection failed. A timeout is recorded (an operator wants to see
   * it) but one slow tool is no sign of a sick server; a transport failure is, and so is a
   * session the upstream rejects even after re-initialising.
   */
  noteRequestFailure(error: unknown): void {
    if (!(error instanceof UpstreamError)) return;
    if (error.code === 'UPSTREAM_TIMEOUT') this.recordError(error);
    if (error.code === 'UPSTREAM_UNAVAILABLE' || error.code === 'UPSTREAM_SESSION_EXPIRED') {
      this.recordError(error);
      if (this.status === 'ready') this.setStatus('unhealthy');
    }
  }

  /** The error for a request that arrives while a reconnect waits out its backoff. */
  unavailableUntilRetry(): UpstreamError {
    const state = `${this.status}${this.nextAttemptAt ? `; next attempt at ${this.nextAttemptAt.toISOString()}` : ''}`;
    if (!this.lastError) return new UpstreamError('UPSTREAM_UNAVAILABLE', this.spec, state);
    // The reason first (it is what a reader acts on), without the server's name a second time.
    const reason = this.lastError.message.replace(`upstream "${this.spec.name}": `, '');
    return new UpstreamError('UPSTREAM_UNAVAILABLE', this.spec, `${reason} (${state})`);
  }

  snapshot(): UpstreamHealth {
    return {
      serverId: this.spec.id,
      serverName: this.spec.name,
      status: this.status,
      since: this.since.toISOString(),
      lastError: this.lastError,
      stderrTail: this.stderrTail.text(),
      restarts: this.restarts,
      failedAttempts: this.failedAttempts,
      nextAttemptAt: this.nextAttemptAt?.toISOString() ?? null,
      pid: this.pid(),
      protocolVersion: this.protocolVersion(),
    };
  }

  subscribe(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    if (this.listeners.size === 0) return;
    const health = this.snapshot();
    for (const listener of this.listeners) {
      try {
        listener(health);
      } catch {
        // A faulty observer must not break supervision.
      }
    }
  }
}
