import type { Context, Next } from 'koa';
import { ProblemError } from '../rest/problem';

export type AuthFailureLimits = Readonly<{
  /** Failed authentications one client address may make per window before it is refused. */
  maxFailures: number;
  windowMs: number;
  /** Addresses tracked at once; the oldest window is dropped first, so memory stays bounded. */
  maxAddresses?: number;
}>;

export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = { maxFailures: 20, windowMs: 60_000, maxAddresses: 10_000 };

type Window = { startedAt: number; failures: number };

/**
 * Counts failed authentications (401) per client address in fixed windows. Once an address
 * reaches the limit, every request from it that needs authentication is refused with 429
 * until its window ends, valid credentials included: otherwise the refusals would tell a
 * guesser which of its guesses was right. Shared by the REST API and the MCP endpoints, so
 * guessing the admin token and guessing API keys draw from one budget.
 *
 * The address is the TCP peer (the app does not trust X-Forwarded-For): behind a reverse
 * proxy every client shares the proxy's budget.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxAddresses: number;

  constructor(
    readonly limits: AuthFailureLimits = DEFAULT_AUTH_FAILURE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.maxAddresses = limits.maxAddresses ?? DEFAULT_AUTH_FAILURE_LIMITS.maxAddresses ?? 10_000;
  }

  /** Seconds until `address` may try again, or null when it is not blocked. */
  retryAfter(address: string): number | null {
    const window = this.current(address);
    if (!window || window.failures < this.limits.maxFailures) return null;
    return Math.max(1, Math.ceil((window.startedAt + this.limits.windowMs - this.now()) / 1000));
  }

  recordFailure(address: string): void {
    let window = this.current(address);
    if (!window) {
      if (this.windows.size >= this.maxAddresses) this.evictOldest();
      window = { startedAt: this.now(), failures: 0 };
      this.windows.set(address, window);
    }
    window.failures += 1;
  }

  private current(address: string): Window | undefined {
    const window = this.windows.get(address);
    if (window && this.now() - window.startedAt >= this.limits.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  private evictOldest(): void {
    // Map iteration is insertion order, and a window is inserted when it starts.
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }
}

/** The TCP peer of a request; `unknown` for a socket already gone (all such share one budget). */
export const clientAddress = (socket: { remoteAddress?: string }): string => socket.remoteAddress ?? 'unknown';

export const tooManyFailures = (retryAfterSeconds: number): ProblemError =>
  new ProblemError(429, 'TOO_MANY_AUTH_FAILURES', `Too many failed authentication attempts from this address; retry in ${retryAfterSeconds} s`, undefined, {
    'Retry-After': String(retryAfterSeconds),
  });

/** Koa middleware in front of an authenticating one: refuses blocked addresses, counts 401s. */
export const limitAuthFailures = (limiter: AuthFailureLimiter) => async (ctx: Context, next: Next): Promise<void> => {
  const address = clientAddress(ctx.req.socket);
  const retryAfter = limiter.retryAfter(address);
  if (retryAfter !== null) throw tooManyFailures(retryAfter);
  try {
    await next();
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) limiter.recordFailure(address);
    throw error;
  }
};
