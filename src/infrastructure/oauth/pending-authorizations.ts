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
/** A user's own flows at once, across servers (one per server): one member alone cannot fill the whole bound. */
const MAX_PENDING_PER_USER = 8;

type Entry = Readonly<{ value: PendingAuthorization; expiresAt: number }>;

/**
 * Makes room for a flow of `value`'s user in `map`, that user's own flows first: their older flow
 * of the same server goes (a new one replaces it), then their oldest beyond MAX_PENDING_PER_USER,
 * and only then, at the global bound, the oldest of anyone's.
 */
const makeRoom = (map: Map<string, Entry>, value: PendingAuthorization): void => {
  if (value.userId !== null) {
    const mine = [...map].filter(([, entry]) => entry.value.userId === value.userId);
    for (const [key, entry] of mine) if (entry.value.serverId === value.serverId) map.delete(key);
    const others = mine.filter(([key]) => map.has(key));
    for (const [key] of others.slice(0, Math.max(0, others.length - (MAX_PENDING_PER_USER - 1)))) map.delete(key);
  }
  while (map.size >= MAX_PENDING) map.delete(map.keys().next().value as string);
};

/**
 * In-flight authorizations by `state`, kept in this process's memory only: the PKCE verifier
 * never touches the disk or the log, and it lives no longer than the TTL (10 minutes, longer
 * than anyone takes to log in). The cost: the browser must come back to the instance that
 * started the flow, and a restart forgets pending flows (start again). A state is single-use.
 * The map is bounded so that repeated authorize calls cannot grow it without limit, and a
 * user's own flows are bounded apart (one per server, a few in all; see makeRoom) so that one
 * member's authorize calls cannot push everyone else's flows out.
 */
export class PendingAuthorizations {
  private readonly pending = new Map<string, Entry>();
  private readonly confirmations = new Map<string, { value: PendingAuthorization; code: string; expiresAt: number }>();

  constructor(
    private readonly ttlMs = PENDING_AUTHORIZATION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores it under a fresh unguessable state (256 bits) and returns the state and its expiry. */
  add(value: PendingAuthorization): { state: string; expiresAt: number } {
    this.sweep();
    makeRoom(this.pending, value);
    // A new flow of a user's own replaces the one of theirs awaiting confirmation for that server too.
    if (value.userId !== null) makeRoom(this.confirmations, value);
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
    makeRoom(this.confirmations, value);
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
