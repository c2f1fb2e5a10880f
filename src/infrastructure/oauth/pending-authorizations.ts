import { randomBytes } from 'node:crypto';

/** What the callback needs to finish an authorization Gatehouse started. */
export type PendingAuthorization = Readonly<{
  serverId: string;
  codeVerifier: string;
  redirectUri: string;
  clientId: string;
  issuer: string;
  tokenEndpoint: string;
  revocationEndpoint: string | null;
  resource: string;
  scopes: readonly string[];
  /** A per-user server's: the user whose own grant this is (who started it); null: the server's grant. */
  userId: string | null;
  /** Who started it: the callback has no admin token, so its events are recorded as theirs. */
  actor: string;
  correlationId: string;
}>;

export const PENDING_AUTHORIZATION_TTL_MS = 10 * 60_000;
const MAX_PENDING = 256;

/**
 * In-flight authorizations by `state`, kept in this process's memory only: the PKCE verifier
 * never touches the disk or the log, and it lives no longer than the TTL (10 minutes, longer
 * than anyone takes to log in). The cost: the browser must come back to the instance that
 * started the flow, and a restart forgets pending flows (start again). A state is single-use.
 * The map is bounded so that repeated authorize calls cannot grow it without limit.
 */
export class PendingAuthorizations {
  private readonly pending = new Map<string, { value: PendingAuthorization; expiresAt: number }>();
  private readonly confirmations = new Map<string, { value: PendingAuthorization; code: string; expiresAt: number }>();

  constructor(
    private readonly ttlMs = PENDING_AUTHORIZATION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores it under a fresh unguessable state (256 bits) and returns the state and its expiry. */
  add(value: PendingAuthorization): { state: string; expiresAt: number } {
    this.sweep();
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
    const state = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.pending.set(state, { value, expiresAt });
    return { state, expiresAt };
  }

  /** The authorization for `state`, removed so it cannot be used twice; null if unknown or expired. */
  take(state: string): PendingAuthorization | null {
    const entry = this.pending.get(state);
    this.pending.delete(state);
    return entry !== undefined && entry.expiresAt > this.now() ? entry.value : null;
  }

  /**
   * Holds a user's own authorization that came back with its code until that user confirms it
   * (see confirmOwnAuthorization), under a fresh unguessable token; the same TTL and bound.
   */
  awaitConfirmation(value: PendingAuthorization, code: string): { confirm: string; expiresAt: number } {
    this.sweep();
    while (this.confirmations.size >= MAX_PENDING) this.confirmations.delete(this.confirmations.keys().next().value as string);
    const confirm = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.confirmations.set(confirm, { value, code, expiresAt });
    return { confirm, expiresAt };
  }

  /** The authorization awaiting confirmation under `confirm`, left in place; null if unknown or expired. */
  awaiting(confirm: string): Readonly<{ value: PendingAuthorization; code: string }> | null {
    const entry = this.confirmations.get(confirm);
    return entry !== undefined && entry.expiresAt > this.now() ? entry : null;
  }

  /** Removes it, so that it is confirmed (or refused) once. */
  forget(confirm: string): void {
    this.confirmations.delete(confirm);
  }

  /** Whether an authorization of this server (by `userId` for their own grant; null: the server's) is waiting for its callback. */
  isPending(serverId: string, userId: string | null = null): boolean {
    this.sweep();
    return [...this.pending.values(), ...this.confirmations.values()].some((entry) => entry.value.serverId === serverId && entry.value.userId === userId);
  }

  private sweep(): void {
    const now = this.now();
    for (const [state, entry] of this.pending) if (entry.expiresAt <= now) this.pending.delete(state);
    for (const [confirm, entry] of this.confirmations) if (entry.expiresAt <= now) this.confirmations.delete(confirm);
  }
}
