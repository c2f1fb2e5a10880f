import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import type { CommandContext } from '../commands/handle-command';
import type { UpstreamIdentity, UpstreamTokenSource } from '../upstream';
import { parseChallenge, type Challenge } from './challenge';
import { expiringGrants, grantChangedBy, grantKey, grantsRevivedBy, isGrantInUse, grantRow, loadGrant, recordRefresh, recordRevocation, type GrantRef, type GrantRow } from './grants';
import { credentialsOf, sealTokens, type OAuthContext } from './oauth.commands';
import { OAuthErrorResponse, refreshTokens } from './token-endpoint';
import { errorMessage } from '../../domain/shared';

export type OAuthLog = (level: 'info' | 'warn', message: string, fields?: object) => void;


/** The current access token of one grant, decrypted once per read-model version. */
type CurrentToken = Readonly<{ version: number; token: string; fp: string; expiresAt: number | null; refreshAt: number | null }>;

export type RefreshFailure = Readonly<{ at: string; message: string }>;

/**
 * How long a read of a server's token row is reused. Local commits clear it at once, and so do
 * other processes' when the gateway's log follower reads them (`changes$`); the bound is for
 * what a process without a follower (`gatehouse stdio`) cannot hear of.
 */
const ROW_REUSE_MS = 1_000;

/** After a refresh that failed for a passing reason (network, 5xx), the background tries again this much later. */
const BACKGROUND_RETRY_MS = 30_000;
/** setTimeout's longest delay; a token due later is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;


/** Refresh this long before expiry: a third of the token's life, at most a minute. */
const refreshMarginMs = (lifetimeMs: number): number => Math.min(60_000, Math.max(0, lifetimeMs) / 3);

/**
 * Whose grant a connection uses: the server's, or for a per-user server the grant of the user
 * its spec carries; a per-user spec without a user has none (null) and is sent without a token.
 */
const grantOf = (server: UpstreamIdentity): GrantRef | null => {
  if (server.credentials !== 'per_user') return { serverId: server.id, userId: null };
  return server.userId === undefined ? null : { serverId: server.id, userId: server.userId };
};

/**
 * Supplies the upstream layer with OAuth access tokens (UpstreamTokenSource): a server's own
 * grant, or a user's own grant of a per-user server (see grants.ts), each handled the same way
 * and keyed apart, so one user's refresh never touches another's tokens. The hot path is
 * a map lookup: the token row of a grant is read at most once a second (and again
 * after every local commit), and decrypted once per version. A token
 * due for refresh (or refused with a 401) is refreshed once however many requests ask at the
 * same time (single-flight per grant): with rotating refresh tokens a second concurrent
 * refresh would present a spent token and lose the grant. A refresh is recorded as an event
 * (audit) in its own short append, after the network call, never inside another transaction.
 * A refusal by the authorization server revokes the tokens (the server is then
 * `auth_required`, with the reason); a network failure or 5xx keeps them and is reported.
 */
export class OAuthTokenManager implements UpstreamTokenSource {
  private readonly cache = new Map<string, CurrentToken>();
  private readonly rows = new Map<string, { row: GrantRow | null; readAt: number }>();
  private readonly refreshing = new Map<string, Promise<string | null>>();
  private readonly challenges = new Map<string, Challenge>();
  private readonly failures = new Map<string, RefreshFailure>();
  /** Background refresh (see startBackgroundRefresh): one timer per grant, at its refresh time. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private background = false;
  /** Counts local commits, so that a row read across one is not reused. */
  private generation = 0;

  constructor(
    private readonly ctx: OAuthContext,
    /**
     * backgroundRetryMs: BACKGROUND_RETRY_MS unless given (tests). changes$: every committed event,
     * other processes' included (the gateway's log follower), so that a grant or revocation made
     * by another instance is not read from a row kept for up to ROW_REUSE_MS; local commits clear
     * the rows as they commit either way.
     */
    private readonly options: Readonly<{ now?: () => Date; log?: OAuthLog; backgroundRetryMs?: number; changes$?: Observable<unknown> }> = {},
  ) {
    const forget = (): void => {
      this.generation += 1;
      this.rows.clear();
    };
    ctx.store.committed$.subscribe(forget);
    options.changes$?.subscribe(forget);
  }

  async accessToken(server: UpstreamIdentity): Promise<string | null> {
    const ref = grantOf(server);
    if (ref === null) return null;
    const current = await this.current(ref);
    if (current === null) return null;
    if (current.refreshAt === null || this.now().getTime() < current.refreshAt) return current.token;
    const refreshed = await this.refresh(ref, current.fp, false);
    // A refresh that failed for a passing reason leaves the current token, which may still be valid.
    return refreshed ?? (await this.current(ref))?.token ?? null;
  }

  async unauthorized(server: UpstreamIdentity, sent: string | null, challenge: string | null): Promise<string | null> {
    const ref = grantOf(server);
    if (ref === null) return null;
    const current = await this.current(ref);
    if (sent === null || current === null) {
      this.challenges.set(grantKey(ref), parseChallenge(challenge, this.now()));
      return null;
    }
    // Another request refreshed while this one was in flight: retry with the new token.
    if (current.token !== sent) return current.token;
    return this.refresh(ref, current.fp, true);
  }

  /**
   * Keeps every grant fresh without traffic: each server's access token is refreshed at the
   * same point as on use (a third of its life left), by a timer set from its row and set again
   * whenever its tokens are granted, refreshed or revoked. So a server nobody calls for longer
   * than its refresh token lives does not lose its grant, and the first call after a quiet
   * spell does not wait for a refresh. Only one process per data directory should run it
   * (`gatehouse serve` does; `gatehouse stdio` refreshes on use only): with rotating refresh
   * tokens, two processes refreshing at once would spend the same refresh token twice.
   * Returns the function that stops it.
   */
  async startBackgroundRefresh(): Promise<() => void> {
    this.background = true;
    for (const ref of await expiringGrants(this.ctx)) this.reschedule(ref);
    const subscription = this.ctx.store.committed$.subscribe((event) => {
      const ref = grantChangedBy(event);
      if (ref !== null) this.reschedule(ref);
      const revived = grantsRevivedBy(event);
      if (revived !== null) {
        void this.scheduleRevived(revived).catch(this.warn('oauth background refresh could not be set again', revived));
      }
    });
    return () => {
      this.background = false;
      subscription.unsubscribe();
      for (const timer of this.timers.values()) clearTimeout(timer);
      this.timers.clear();
    };
  }

  /** The upstream's last 401 to a request without our token (where to authorize), if any: for the server's grant, or `userId`'s own. */
  challengeOf(serverId: string, userId: string | null = null): Challenge | null {
    return this.challenges.get(grantKey({ serverId, userId })) ?? null;
  }

  /**
   * The last refresh of a grant that failed: for a passing reason (network, 5xx: the tokens are
   * kept), or refused (the grant was dropped). Runtime status of this process, like a server's
   * connection status: kept until a refresh succeeds or the grant is made anew or revoked. Its
   * message is ours (an endpoint and a status, or the server's OAuth error code and
   * description), never a token or the response body.
   */
  refreshFailureOf(serverId: string, userId: string | null = null): RefreshFailure | null {
    return this.failures.get(grantKey({ serverId, userId })) ?? null;
  }

  /** Forgets what this process learnt about a grant at run time (after a new grant or a revocation). */
  reset(serverId: string, userId: string | null = null): void {
    const key = grantKey({ serverId, userId });
    this.challenges.delete(key);
    this.failures.delete(key);
    this.cache.delete(key);
    this.rows.delete(key);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Sets timers again for the grants of a server or user that may be of use again (see isGrantInUse). */
  private async scheduleRevived(which: Readonly<{ serverId?: string; userId?: string }>): Promise<void> {
    for (const ref of await expiringGrants(this.ctx)) {
      const matches = which.serverId !== undefined ? ref.serverId === which.serverId : ref.userId === which.userId;
      if (matches && !this.timers.has(grantKey(ref))) await this.scheduleRefresh(ref);
    }
  }

  /**
   * scheduleRefresh from a timer or an event, where nobody awaits it. When it fails (the store
   * could not be read) the failure is logged and the grant is tried again later: its background
   * refresh does not end on a passing database error.
   */
  private reschedule(ref: GrantRef, retryInMs?: number): void {
    this.scheduleRefresh(ref, retryInMs).catch((error: unknown) => {
      this.warn('oauth background refresh could not be set; trying again later', ref)(error);
      this.retryLater(ref);
    });
  }

  /** How long a background refresh that failed for a passing reason waits before it tries again. */
  private get retryMs(): number {
    return this.options.backgroundRetryMs ?? BACKGROUND_RETRY_MS;
  }

  /** A listener that logs a background refresh's failure as `what`, with the grant it concerns. */
  private warn(what: string, about: object): (error: unknown) => void {
    return (error) => this.options.log?.('warn', what, { ...about, error: errorMessage(error) });
  }

  /** Schedules the grant again after the retry delay (BACKGROUND_RETRY_MS unless the options say), unless stopped or already scheduled. */
  private retryLater(ref: GrantRef): void {
    const key = grantKey(ref);
    if (!this.background || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.reschedule(ref);
    }, this.retryMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /**
   * Sets the timer of a grant in use (isGrantInUse). One not in use gets none, and is looked at
   * again when it fires: a grant whose server is removed or switched to shared, or whose user is
   * disabled, is not refreshed in the background.
   */
  private async scheduleRefresh(ref: GrantRef, retryInMs?: number): Promise<void> {
    const key = grantKey(ref);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (!this.background) return;
    this.rows.delete(key);
    if (!(await isGrantInUse(this.ctx, ref))) return;
    const current = await this.current(ref);
    // Stopped, or scheduled again (by a newer event) while the row was read.
    if (!this.background || this.timers.has(key)) return;
    if (current === null || current.refreshAt === null) return;
    const delay = retryInMs ?? Math.max(0, current.refreshAt - this.now().getTime());
    const timer = setTimeout(async () => {
      this.timers.delete(key);
      if (this.now().getTime() < current.refreshAt!) {
        this.reschedule(ref);
        return;
      }
      const warn = (what: string) => this.warn(what, ref);
      const inUse = await isGrantInUse(this.ctx, ref).catch((error: unknown) => {
        // The store could not say (database busy or lost): asked again a little later, not dropped.
        warn('oauth background refresh postponed: could not tell whether the grant is in use')(error);
        return 'unknown' as const;
      });
      if (!this.background || this.timers.has(key)) return;
      if (inUse === 'unknown') {
        this.retryLater(ref);
        return;
      }
      if (!inUse) return;
      void this.refresh(ref, current.fp, false)
        .catch(warn('oauth background refresh failed'))
        .then(() => this.current(ref))
        .then(
          (now) => {
            // Refreshed (or revoked): the commit has set the next timer. Still the same token: a
            // passing failure, tried again a little later rather than at once.
            if (now?.fp === current.fp) this.reschedule(ref, this.retryMs);
          },
          (error: unknown) => {
            warn('oauth background refresh could not be set; trying again later')(error);
            this.retryLater(ref);
          },
        );
    }, Math.min(delay, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(key, timer);
  }

  private async row(ref: GrantRef): Promise<GrantRow | null> {
    const key = grantKey(ref);
    const now = Date.now();
    const reused = this.rows.get(key);
    if (reused !== undefined && now - reused.readAt < ROW_REUSE_MS) return reused.row;
    const generation = this.generation;
    const row = await grantRow(this.ctx, ref);
    // A commit while the row was read makes it stale: not kept for the next request.
    if (generation === this.generation) this.rows.set(key, { row, readAt: now });
    return row;
  }

  private async current(ref: GrantRef): Promise<CurrentToken | null> {
    const key = grantKey(ref);
    const row = await this.row(ref);
    if (row === null) {
      this.cache.delete(key);
      return null;
    }
    const cached = this.cache.get(key);
    if (cached?.version === row.version) return cached;
    const expiresAt = row.expiresAt === null ? null : Date.parse(row.expiresAt);
    const issuedAt = Date.parse(row.issuedAt);
    const current: CurrentToken = {
      version: row.version,
      token: this.ctx.secrets.open(row.accessToken),
      fp: row.accessToken.fp,
      expiresAt,
      refreshAt: expiresAt === null ? null : expiresAt - refreshMarginMs(expiresAt - issuedAt),
    };
    this.cache.set(key, current);
    return current;
  }

  private refresh(ref: GrantRef, fromFp: string, refused: boolean): Promise<string | null> {
    const key = grantKey(ref);
    let flight = this.refreshing.get(key);
    if (flight === undefined) {
      flight = this.refreshNow(ref, fromFp, refused).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, flight);
    }
    return flight;
  }

  private async refreshNow(ref: GrantRef, fromFp: string, refused: boolean): Promise<string | null> {
    const grant = await loadGrant(this.ctx, ref);
    if (grant === null) return null;
    if (grant.accessToken.fp !== fromFp) return (await this.current(ref))?.token ?? null;
    const at = this.now();
    const context: CommandContext = { actor: 'system:oauth', correlationId: randomUUID(), now: () => at };
    if (grant.refreshToken === null) {
      const expired = grant.expiresAt !== null && Date.parse(grant.expiresAt) <= at.getTime();
      if (!refused && !expired) return (await this.current(ref))?.token ?? null;
      await this.revoke(ref, fromFp, refused ? 'the upstream refused the access token and there is no refresh token' : 'the access token expired and there is no refresh token', false, context);
      return null;
    }
    try {
      const response = await refreshTokens(grant.server.tokenEndpoint, credentialsOf(this.ctx, grant.client), this.ctx.secrets.open(grant.refreshToken), grant.resource);
      const tokens = sealTokens(this.ctx, response, at, { refreshToken: grant.refreshToken, scopes: grant.scopes });
      // Revoked or re-granted while the refresh was on the wire: what is stored now wins.
      if (!(await recordRefresh(this.ctx, ref, fromFp, tokens, context))) return (await this.current(ref))?.token ?? null;
      this.failures.delete(grantKey(ref));
      this.options.log?.('info', 'oauth tokens refreshed', { ...ref, rotated: response.refreshToken !== null, correlationId: context.correlationId });
      return response.accessToken;
    } catch (error) {
      if (error instanceof OAuthErrorResponse) {
        const detail = `the authorization server refused the refresh (${error.message})`;
        await this.revoke(ref, fromFp, detail, error.error === 'invalid_client', context);
        return null;
      }
      const message = errorMessage(error);
      this.failures.set(grantKey(ref), { at: at.toISOString(), message });
      this.options.log?.('warn', 'oauth refresh failed; keeping the current tokens', { ...ref, error: message, correlationId: context.correlationId });
      return null;
    }
  }

  private async revoke(ref: GrantRef, fromFp: string, detail: string, clientRejected: boolean, context: CommandContext): Promise<void> {
    // Before the grant goes: whoever sees it gone sees why.
    this.failures.set(grantKey(ref), { at: (context.now?.() ?? this.now()).toISOString(), message: detail });
    const outcome = await recordRevocation(this.ctx, ref, { reason: 'refresh_failed', detail, clientRejected, ofAccessToken: fromFp }, context);
    this.cache.delete(grantKey(ref));
    if (outcome === 'hand_registered_client_kept') {
      this.options.log?.('warn', "a user's refresh was refused with invalid_client; the server's hand-registered OAuth client is kept (an admin replaces it if it is really refused)", { ...ref, correlationId: context.correlationId });
    }
    this.options.log?.('warn', 'oauth tokens dropped; a new authorization is needed', { ...ref, detail, correlationId: context.correlationId });
  }
}
