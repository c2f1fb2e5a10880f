import { isOAuthSessionOwner } from '../oauth-server/session-owner';
import { isUsable, type ApiKeyGrant } from '../readmodels/apikey';
import { errorMessage } from '../../domain/shared';

export type ListKinds = Readonly<{ tools?: boolean; prompts?: boolean; resources?: boolean }>;

/**
 * Why a session closes. `end`: for good (the client's DELETE, a revoked key, its profile gone).
 * `idle`: for good unless another instance heard from it meanwhile. `suspend`: this process
 * stops; a persisted session goes on in the next one.
 */
export type SessionClose = 'end' | 'idle' | 'suspend';

/** A downstream MCP session as the registry, the idle sweep and the config follower see it. */
export interface ProxySession {
  readonly sessionId: string;
  readonly profileId: string;
  readonly slug: string;
  /** The API key that opened it (or the OAuth grant: see oauthSessionOwner); null for an open profile or `gatehouse stdio`. */
  readonly keyId: string | null;
  /** The user it acts for (the key's owner, or the person who allowed the OAuth client); null: none. */
  readonly userId: string | null;
  /** When the client last sent anything (ms since the epoch). */
  readonly lastActivity: number;
  /** A session that lives as long as its process (stdio): its client cannot reconnect, so it is never closed for idleness. */
  readonly expires: boolean;
  /** The id of its stored record: a session that outlives this process (null: one that does not). */
  readonly recordId: string | null;
  /** Tells the client that what the profile exposes may have changed. */
  listsChanged(kinds: ListKinds): void;
  close(how?: SessionClose): Promise<void>;
}

/** Where sessions that outlive the process keep their last activity. */
export type SessionActivityStore = Readonly<{
  recordActivity: (entries: readonly Readonly<{ id: string; at: number }>[]) => Promise<void>;
  endIdle: (before: number) => Promise<void>;
}>;

export type SessionRegistryOptions = Readonly<{
  /** settings.sessionIdleTimeoutMs, read at every sweep. */
  idleTimeoutMs: () => number;
  /** The keys of open sessions as stored now (revocations by other processes included). */
  keys: (ids: readonly string[]) => Promise<ReadonlyMap<string, ApiKeyGrant>>;
  log?: (level: 'warn', message: string, fields: object) => void;
  /** Persisted sessions' activity goes here, at most once per `activityIntervalMs`. */
  activity?: SessionActivityStore;
  sweepIntervalMs?: number;
  keyWatchIntervalMs?: number;
  activityIntervalMs?: number;
}>;

const SWEEP_INTERVAL_MS = 5_000;
/**
 * How stale a stored last activity may be: idle expiry after a restart counts from it, so a
 * session can look idle this much early, and the sweep of records gives them this much more.
 */
export const ACTIVITY_INTERVAL_MS = 1_000;
/** Revocation and expiry must reach open sessions within 1 s; four looks a second leave room. */
export const KEY_WATCH_INTERVAL_MS = 250;

/**
 * The open downstream sessions of this process. It closes the ones idle for longer than the
 * setting, and the ones whose API key was revoked or has expired: each request re-checks its key
 * anyway, this is for sessions that only listen (an SSE stream, a GET stream) and for
 * revocations made by another process.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, ProxySession>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** The last activity written for each persisted session, by session id. */
  private readonly recorded = new Map<string, number>();

  constructor(private readonly options: SessionRegistryOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  add(session: ProxySession): void {
    this.sessions.set(session.sessionId, session);
  }

  remove(sessionId: string): void {
    this.sessions.delete(sessionId);
    this.recorded.delete(sessionId);
  }

  get(sessionId: string): ProxySession | undefined {
    return this.sessions.get(sessionId);
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  values(): IterableIterator<ProxySession> {
    return this.sessions.values();
  }

  start(): void {
    if (this.timers.length > 0) return;
    const every = (ms: number, work: () => Promise<void>): void => {
      const timer = setInterval(() => void work().catch((error: unknown) => this.warn('session sweep failed', error)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.sweepIntervalMs ?? SWEEP_INTERVAL_MS, () => this.closeIdle());
    every(this.options.keyWatchIntervalMs ?? KEY_WATCH_INTERVAL_MS, () => this.closeUnauthorized());
    if (this.options.activity) every(this.options.activityIntervalMs ?? ACTIVITY_INTERVAL_MS, () => this.recordActivity());
  }

  /** This process stops: persisted sessions are suspended (their last activity written first), the others closed. */
  async closeAll(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.recordActivity().catch((error: unknown) => this.warn('session activity not recorded', error));
    await Promise.allSettled([...this.sessions.values()].map((session) => session.close('suspend')));
  }

  async closeIdle(): Promise<void> {
    const limit = Date.now() - this.options.idleTimeoutMs();
    const idle = [...this.sessions.values()].filter((session) => session.expires && session.lastActivity < limit);
    await Promise.allSettled(idle.map((session) => session.close('idle')));
    await this.options.activity?.endIdle(limit - 2 * (this.options.activityIntervalMs ?? ACTIVITY_INTERVAL_MS));
  }

  /** Writes the last activity of the persisted sessions heard from since it was last written. */
  async recordActivity(): Promise<void> {
    const store = this.options.activity;
    if (!store) return;
    const entries: { id: string; at: number }[] = [];
    const written: [string, number][] = [];
    for (const session of this.sessions.values()) {
      if (session.recordId === null || session.lastActivity <= (this.recorded.get(session.sessionId) ?? 0)) continue;
      entries.push({ id: session.recordId, at: session.lastActivity });
      written.push([session.sessionId, session.lastActivity]);
    }
    if (entries.length === 0) return;
    await store.recordActivity(entries);
    for (const [sessionId, at] of written) if (this.sessions.has(sessionId)) this.recorded.set(sessionId, at);
  }

  /** Closes every session whose key no longer opens anything. */
  async closeUnauthorized(): Promise<void> {
    const keyed = [...this.sessions.values()].filter((session) => session.keyId !== null && !isOAuthSessionOwner(session.keyId));
    if (keyed.length === 0) return;
    const grants = await this.options.keys([...new Set(keyed.map((session) => session.keyId as string))]);
    const now = new Date().toISOString();
    await Promise.allSettled(keyed.filter((session) => !isUsable(grants.get(session.keyId as string), now)).map((session) => session.close()));
  }

  private warn(message: string, error: unknown): void {
    this.options.log?.('warn', message, { error: errorMessage(error) });
  }
}
