/**
 * When to try again after an upstream crashed or failed to connect: 0.5 s, 1 s, 2 s, … up to
 * 30 s. A connection that stayed up for `stableAfterMs` earns a clean slate, so a server that
 * crashes once a day restarts at once instead of waiting 30 s forever after.
 */
export type BackoffPolicy = Readonly<{
  initialDelayMs: number;
  maxDelayMs: number;
  stableAfterMs: number;
}>;

export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, stableAfterMs: 60_000 };

/** The delay before attempt number `failures` (0 for the first retry after a failure). */
export const backoffDelayMs = (policy: BackoffPolicy, failures: number): number =>
  Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(failures, 30));

/** Whether a connection that was ready from `readySince` to `endedAt` counts as stable. */
export const wasStable = (policy: BackoffPolicy, readySince: number | null, endedAt: number): boolean =>
  readySince !== null && endedAt - readySince >= policy.stableAfterMs;

/**
 * The retry side of a supervisor: counts consecutive failures, remembers since when the
 * current connection is up, and holds the one pending retry timer.
 */
export class RetrySchedule {
  private failures = 0;
  private readySince: number | null = null;
  private timer?: NodeJS.Timeout;

  constructor(private readonly policy: BackoffPolicy) {}

  get pending(): boolean {
    return this.timer !== undefined;
  }

  markReady(now = Date.now()): void {
    this.readySince = now;
  }

  /** The connection ended: if it had been up long enough, the next retry starts from scratch. */
  markLost(now = Date.now()): void {
    if (wasStable(this.policy, this.readySince, now)) this.failures = 0;
    this.readySince = null;
  }

  /** Runs `retry` after the next backoff delay; returns when that will be. */
  schedule(retry: () => void): Date {
    this.cancel();
    const delayMs = backoffDelayMs(this.policy, this.failures);
    this.failures++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      retry();
    }, delayMs);
    // A pending retry must not keep the gateway (or a test run) alive on its own.
    this.timer.unref();
    return new Date(Date.now() + delayMs);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A new configuration deserves a fresh start. */
  reset(): void {
    this.cancel();
    this.failures = 0;
    this.readySince = null;
  }
}
