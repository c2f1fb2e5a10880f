import { asyncScheduler, buffer, connect, filter, throttleTime, type Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { Settings } from '../../domain/settings/events';
import type { StoredEvent } from '../eventstore';
import { isOAuthSessionOwner } from '../oauth-server/session-owner';
import { isHostAllowed } from '../upstream/host-allowlist';
import type { UpstreamPool, UpstreamSpec } from '../upstream';
import type { UpstreamCatalog } from './catalog';
import { impactOf, serverReleaseOf, serverRetryOf, userReleaseOf, type ConfigImpact } from './config-impact';
import type { ProfileDirectory } from './profile-directory';
import type { ProxySession, SessionRegistry } from './session-registry';
import { errorMessage } from '../../domain/shared';

/** Config events are applied in small batches: one burst of REST writes, one list_changed. */
const CONFIG_BATCH_MS = 50;

/**
 * The events of `ms` from the first one of each batch. Unlike `bufferTime`, which runs its timer
 * (20 wakeups a second here) for as long as it is subscribed, a timer runs only after an event:
 * an idle gateway, or one busy with calls, is not woken to find no configuration change.
 */
export const batchesOf = <T>(ms: number): OperatorFunction<T, T[]> =>
  connect((events) => events.pipe(buffer(events.pipe(throttleTime(ms, asyncScheduler, { leading: false, trailing: true }))), filter((batch) => batch.length > 0)));

/** What the follower reads of the configuration when it applies a change. */
export type ConfigReads = Readonly<{
  /** An active server's spec (secrets opened), null when it is not active. */
  serverSpec: (serverId: string) => Promise<UpstreamSpec | null>;
  /** Whether some profile still has an active link to the server. */
  serverInUse: (serverId: string) => Promise<boolean>;
  /** Whether the user is enabled and may use the profile (its access). */
  userMayUse: (userId: string, profileId: string) => Promise<boolean>;
}>;

export type ConfigFollowerOptions = Readonly<{
  /** Every committed event once (see LogFollower). */
  events$: Observable<StoredEvent>;
  pool: UpstreamPool;
  catalog: UpstreamCatalog;
  sessions: SessionRegistry;
  profiles: ProfileDirectory;
  settings: () => Settings;
  reads: ConfigReads;
  log?: (level: 'warn', message: string, fields: object) => void;
}>;

const admitted = (url: string, allowedHosts: readonly string[]): boolean => {
  try {
    return isHostAllowed(new URL(url), allowedHosts);
  } catch {
    return false;
  }
};

/**
 * Turns committed configuration changes into their live effects: upstream connections re-read
 * (reconfigured), dropped (removed, revoked tokens, a server no profile uses any more, a host
 * the allowlist now shuts out) or replaced (new tokens after a refused connect); sessions told
 * that their lists changed, and closed when their key is revoked or their user disabled. Batches are applied one after
 * the other, in commit order.
 */
export class ConfigFollower {
  private readonly subscription: Subscription;
  private applying: Promise<void> = Promise.resolve();
  private allowedHosts: readonly string[];
  /** Connections being closed the moment their event commits (releaseUser, releaseServer), awaited by `stop`. */
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly options: ConfigFollowerOptions) {
    this.allowedHosts = options.settings().upstreamAllowedHosts;
    this.subscription = options.events$
      .pipe(batchesOf(CONFIG_BATCH_MS))
      .subscribe((events) => {
        this.applying = this.applying.then(() => this.apply(impactOf(events))).catch((error: unknown) => this.warn('configuration change not applied', {}, error));
      });
    // An allowlist applies the moment it is committed (connections read it at every request), so
    // the lists it shuts out are forgotten at that moment too, not a batch later.
    this.subscription.add(options.events$.pipe(filter((event) => event.type === 'SettingsChanged')).subscribe(() => this.readmit()));
    // A user's connections made with their old credentials close the moment the new ones are
    // committed, on the emission that gives them to the credential directory: a batch later, it
    // would also close the connections made meanwhile with the new ones, and fail the calls they
    // had already sent. The calls still waiting for a closed one to connect go on the new one.
    // So do a server's connections made with OAuth tokens that were revoked (serverReleaseOf);
    // and one waiting out a backoff tries again the moment tokens are granted (serverRetryOf).
    this.subscription.add(options.events$.subscribe((event) => {
      const release = userReleaseOf(event);
      if (release !== null) this.releaseUser(release.userId, release.serverId);
      const revoked = serverReleaseOf(event);
      if (revoked !== null) this.releaseServer(revoked);
      const granted = serverRetryOf(event);
      if (granted !== null) this.options.pool.retryNow(granted);
    }));
  }

  /** Stops following; resolves once the batch under way is applied. */
  async stop(): Promise<void> {
    this.subscription.unsubscribe();
    await this.applying;
    await Promise.all([...this.closing]);
  }

  private async apply(impact: ConfigImpact): Promise<void> {
    const { pool, catalog, reads } = this.options;
    for (const serverId of [...impact.reconnect, ...impact.removed]) catalog.invalidate(serverId);
    for (const serverId of impact.removed) await this.release(serverId);
    for (const serverId of impact.authorized) {
      catalog.invalidate(serverId);
      // Only one waiting out a backoff (or given up): a connection being opened right now already
      // asks for the new token, and releasing it would fail the call that opened it.
      if (pool.health(serverId).some((health) => health.status === 'restarting' || health.status === 'stopped')) await this.release(serverId);
      // Woken as the grant committed (serverRetryOf); again here for a connect that was under
      // way then with no token, whose 401 came after the grant and started a new backoff.
      else pool.retryNow(serverId);
    }
    for (const serverId of impact.reconnect) {
      const spec = await reads.serverSpec(serverId);
      if (spec) await pool.reconfigure(spec).catch((error: unknown) => this.warn('upstream not reconfigured', { serverId }, error));
    }
    for (const serverId of impact.maybeUnused) {
      if (!(await reads.serverInUse(serverId))) await this.release(serverId);
    }
    await this.notifySessions(impact);
  }

  /**
   * Servers that a change of settings.upstreamAllowedHosts lets in or shuts out lose their
   * connections and cached lists: one now outside the list loses its live session at once, and
   * one let back in reconnects now instead of after the backoff its refused connects had built
   * up. Only servers the pool holds can have either.
   */
  private readmit(): void {
    const before = this.allowedHosts;
    const after = this.options.settings().upstreamAllowedHosts;
    this.allowedHosts = after;
    for (const { id, url } of this.options.pool.specs()) {
      if (url === null || admitted(url, before) === admitted(url, after)) continue;
      this.options.catalog.invalidate(id);
      void this.release(id);
    }
  }

  private async notifySessions(impact: ConfigImpact): Promise<void> {
    const sessions = [...this.options.sessions.values()];
    const lostAccess = await this.lostAccess(sessions, impact);
    for (const session of sessions) {
      const revoked = session.keyId !== null && impact.revokedKeys.includes(session.keyId);
      if (revoked || (session.userId !== null && impact.disabledUsers.includes(session.userId)) || lostAccess.has(session)) {
        void session.close().catch((error: unknown) => this.warn('session not closed', { sessionId: session.sessionId }, error));
        continue;
      }
      const direct = impact.profiles.get(session.profileId);
      if (direct) session.listsChanged(direct);
      if (impact.servers.size === 0) continue;
      const profile = await this.options.profiles.byId(session.profileId);
      for (const [serverId, kinds] of impact.servers) {
        if (profile?.servers.some((spec) => spec.id === serverId)) session.listsChanged(kinds);
      }
    }
  }

  /**
   * The sessions people opened with an OAuth grant on a profile they may no longer use (its
   * access changed, or their role did): their token is refused from its next request on, and
   * the session, which may only listen, closes now. Each person and profile is read once; a read
   * that fails keeps its sessions (their next request checks the token). API keys keep the
   * profiles they were issued for.
   */
  private async lostAccess(sessions: readonly ProxySession[], impact: ConfigImpact): Promise<Set<ProxySession>> {
    // One read per person and profile; null: the read failed, and the session stays.
    const reads = new Map<string, Promise<boolean | null>>();
    const mayUse = (userId: string, profileId: string): Promise<boolean | null> => {
      const key = `${userId} ${profileId}`;
      let read = reads.get(key);
      if (read === undefined) {
        read = this.options.reads.userMayUse(userId, profileId).catch((error: unknown) => {
          this.warn('access of a session not checked again; its next request checks it', { userId, profileId }, error);
          return null;
        });
        reads.set(key, read);
      }
      return read;
    };
    const lost = await Promise.all(
      sessions.map(async (session) => {
        const { userId, keyId, profileId } = session;
        if (userId === null || keyId === null || !isOAuthSessionOwner(keyId)) return null;
        if (!impact.accessChanged.includes(profileId) && !impact.roleChanged.includes(userId)) return null;
        return (await mayUse(userId, profileId)) === false ? session : null;
      }),
    );
    return new Set(lost.filter((session): session is ProxySession => session !== null));
  }

  /** Drops the user's connections from the pool now (synchronously); their closing goes on in the background. */
  private releaseUser(userId: string, serverId: string | undefined): void {
    if (serverId !== undefined) this.options.catalog.invalidate(serverId);
    this.inBackground(this.options.pool.releaseUser(userId, serverId).catch((error: unknown) => this.warn('upstream connections of a user not released', { userId, serverId }, error)));
  }

  /** Drops the server's connections from the pool now (synchronously); their closing goes on in the background. */
  private releaseServer(serverId: string): void {
    this.options.catalog.invalidate(serverId);
    this.inBackground(this.release(serverId));
  }

  /** A closing that never rejects, kept until it ends so that `stop` waits for it. */
  private inBackground(closing: Promise<void>): void {
    const tracked = closing.finally(() => this.closing.delete(tracked));
    this.closing.add(tracked);
  }

  private release(serverId: string): Promise<void> {
    return this.options.pool.release(serverId).catch((error: unknown) => this.warn('upstream not released', { serverId }, error));
  }

  private warn(message: string, fields: object, error: unknown): void {
    this.options.log?.('warn', message, { ...fields, error: errorMessage(error) });
  }
}
