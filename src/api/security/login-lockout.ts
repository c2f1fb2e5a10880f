import { ProblemError } from '../rest/problem';

export type LoginLockoutLimits = Readonly<{
  /** Failed sign-ins for one name per window before that name is locked for the rest of it. */
  maxPerName: number;
  /** Failed sign-ins from one client address per window, whatever the names. */
  maxPerAddress: number;
  windowMs: number;
  /** Names and addresses tracked at once (oldest dropped first), so memory stays bounded. */
  maxEntries: number;
}>;

export const DEFAULT_LOGIN_LOCKOUT: LoginLockoutLimits = { maxPerName: 5, maxPerAddress: 20, windowMs: 15 * 60_000, maxEntries: 10_000 };

type Window = { startedAt: number; failures: number };

/**
 * Password guessing limits. A name is counted whether or not a user has it, so that a lockout
 * tells a guesser nothing about which names exist; a locked name is refused even with the right
 * password until its window ends (else the lockout would confirm a guess). Per address too, so
 * one client cannot spray one password over many names.
 */
export class LoginLockout {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly limits: LoginLockoutLimits = DEFAULT_LOGIN_LOCKOUT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws 429 when the name or the address is locked. */
  assertOpen(name: string, address: string): void {
    const seconds = this.retryAfter(`name:${name}`, this.limits.maxPerName) ?? this.retryAfter(`addr:${address}`, this.limits.maxPerAddress);
    if (seconds !== null) {
      throw new ProblemError(429, 'TOO_MANY_SIGN_IN_ATTEMPTS', `Too many failed sign-ins; retry in ${seconds} s`, undefined, { 'Retry-After': String(seconds) });
    }
  }

  failed(name: string, address: string): void {
    this.count(`name:${name}`);
    this.count(`addr:${address}`);
  }

  /** A successful sign-in clears its name's failures (not its address's). */
  succeeded(name: string): void {
    this.windows.delete(`name:${name}`);
  }

  private retryAfter(key: string, limit: number): number | null {
    const window = this.current(key);
    if (!window || window.failures < limit) return null;
    return Math.max(1, Math.ceil((window.startedAt + this.limits.windowMs - this.now()) / 1000));
  }

  private count(key: string): void {
    let window = this.current(key);
    if (!window) {
      if (this.windows.size >= this.limits.maxEntries) {
        const oldest = this.windows.keys().next();
        if (!oldest.done) this.windows.delete(oldest.value);
      }
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
}
