import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import { ProblemError } from '../rest/problem';

export type AuthFailureLimits = Readonly<{
  /** Failed authentications one caller (client address and credential prefix) may make per window before it is refused. */
  maxFailures: number;
  /** Failed authentications one client address may make per window, whatever the credentials (default 10 × maxFailures). */
  maxFailuresPerAddress?: number;
  windowMs: number;
  /** Callers tracked at once; the oldest window is dropped first, so memory stays bounded. */
  maxAddresses?: number;
}>;

export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = { maxFailures: 20, windowMs: 60_000, maxAddresses: 10_000 };

/** How much of a presented credential names its caller: enough to tell keys apart, far too little to help a guesser. */
const PREFIX_LENGTH = 8;

type Window = { startedAt: number; failures: number };

/**
 * Counts failed authentications (401) in fixed windows, per caller (the client address and
 * the first characters of the credential it presented) and per client address. A request
 * whose credential is valid is always served: the limiter only turns the refusal of a
 * failing one into 429 once its caller, or its address as a whole, is over the limit. So one
 * local process sending a wrong key slows down itself, not the admin API nor the other keys
 * used from the same machine, while a guesser trying many keys still runs into the address's
 * budget. (Answering 429 to wrong guesses only tells a guesser what 401 did: the credentials
 * are random and long, and guessing is bounded by the address's budget.)
 *
 * The address is the TCP peer (the app does not trust X-Forwarded-For): behind a reverse
 * proxy every client shares the proxy's budget.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxEntries: number;
  private readonly maxPerAddress: number;

  constructor(
    readonly limits: AuthFailureLimits = DEFAULT_AUTH_FAILURE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.maxEntries = limits.maxAddresses ?? DEFAULT_AUTH_FAILURE_LIMITS.maxAddresses ?? 10_000;
    this.maxPerAddress = limits.maxFailuresPerAddress ?? limits.maxFailures * 10;
  }

  /**
   * Called when a request failed to authenticate: seconds until this caller may fail again
   * when it is over a limit (answer 429), or null when it is not (answer 401; the failure is counted).
   */
  refuse(address: string, credential: string | undefined): number | null {
    const caller = `${address} ${credential?.slice(0, PREFIX_LENGTH) ?? ''}`;
    const blocked = this.retryAfter(caller, this.limits.maxFailures) ?? this.retryAfter(address, this.maxPerAddress);
    if (blocked !== null) return blocked;
    this.count(caller);
    this.count(address);
    return null;
  }

  private retryAfter(key: string, limit: number): number | null {
    const window = this.current(key);
    if (!window || window.failures < limit) return null;
    return Math.max(1, Math.ceil((window.startedAt + this.limits.windowMs - this.now()) / 1000));
  }

  private count(key: string): void {
    let window = this.current(key);
    if (!window) {
      if (this.windows.size >= this.maxEntries) this.evictOldest();
      window = { startedAt: this.now(), failures: 0 };
      this.windows.set(key, window);
    }
    window.failures += 1;
  }

  private current(key: string): Window | undefined {
    const window = this.windows.get(key);
    if (window && this.now() - window.startedAt >= this.limits.windowMs) {
      this.windows.delete(key);
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

/** The credential a request presents, wherever Gatehouse accepts one: a bearer token, `X-API-Key`, or `?api_key=`. */
export const presentedCredential = (req: IncomingMessage, url?: URL): string | undefined => {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (bearer) return bearer[1];
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  return url?.searchParams.get('api_key') ?? undefined;
};

export const TOO_MANY_FAILURES = 'Too many failed authentication attempts; retry in';

export const tooManyFailures = (retryAfterSeconds: number): ProblemError =>
  new ProblemError(429, 'TOO_MANY_AUTH_FAILURES', `${TOO_MANY_FAILURES} ${retryAfterSeconds} s`, undefined, {
    'Retry-After': String(retryAfterSeconds),
  });

/** Koa middleware around an authenticating one: a refusal (401) becomes 429 once its caller is over the limit. */
export const limitAuthFailures = (limiter: AuthFailureLimiter) => async (ctx: Context, next: Next): Promise<void> => {
  try {
    await next();
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) {
      const retryAfter = limiter.refuse(clientAddress(ctx.req.socket), presentedCredential(ctx.req));
      if (retryAfter !== null) throw tooManyFailures(retryAfter);
    }
    throw error;
  }
};
