import { randomUUID } from 'node:crypto';
import type { SealedSecret } from '../../domain/shared';
import type { CommandContext } from '../commands/handle-command';
import type { UpstreamIdentity, UpstreamTokenSource } from '../upstream';
import { parseChallenge, type Challenge } from './challenge';
import { OAuthReadModel, type OAuthTokenRow } from '../readmodels/oauth';
import { credentialsOf, loadOAuthState, runOAuthCommand, sealTokens, type OAuthContext } from './oauth.commands';
import { OAuthErrorResponse, refreshTokens } from './token-endpoint';

export type OAuthLog = (level: 'info' | 'warn', message: string, fields?: object) => void;


/** The current access token of one server, decrypted once per read-model version. */
type CurrentToken = Readonly<{ version: number; token: string; fp: string; expiresAt: number | null; refreshAt: number | null }>;

export type RefreshFailure = Readonly<{ at: string; message: string }>;

/**
 * How long a read of a server's token row is reused. Local commits clear it at once; the
 * bound is for tokens changed by another process on the same data directory.
 */
const ROW_REUSE_MS = 1_000;

/** After a refresh that failed for a passing reason (network, 5xx), the background tries again this much later. */
const BACKGROUND_RETRY_MS = 30_000;
/** setTimeout's longest delay; a token due later is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const TOKEN_EVENTS: ReadonlySet<string> = new Set(['OAuthTokensGranted', 'OAuthTokensRefreshed', 'OAuthTokensRevoked']);

/** Refresh this long before expiry: a third of the token's life, at most a minute. */
const refreshMarginMs = (lifetimeMs: number): number => Math.min(60_000, Math.max(0, lifetimeMs) / 3);

/**
 * Supplies the upstream layer with OAuth access tokens (UpstreamTokenSource). The hot path is
 * a map lookup: the `oauth_tokens` row of a server is read at most once a second (and again
 * after every local commit), and decrypted once per version. A token
 * due for refresh (or refused with a 401) is refreshed once however many requests ask at the
 * same time (single-flight per server): with rotating refresh tokens a second concurrent
 * refresh would present a spent token and lose the grant. A refresh is recorded as an event
 * (audit) in its own short append, after the network call, never inside another transaction.
 * A refusal by the authorization server revokes the tokens (the server is then
 * `auth_required`, with the reason); a network failure or 5xx keeps them and is reported.
 */
export class OAuthTokenManager implements UpstreamTokenSource {
  private readonly cache = new Map<string, CurrentToken>();
  private readonly rows = new Map<string, { row: OAuthTokenRow | null; readAt: number }>();
  private readonly refreshing = new Map<string, Promise<string | null>>();
  private readonly challenges = new Map<string, Challenge>();
  private readonly failures = new Map<string, RefreshFailure>();
  /** Background refresh (see startBackgroundRefresh): one timer per server, at its refresh time. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private background = false;
  /** Counts local commits, so that a row read across one is not reused. */
  private generation = 0;

  constructor(
    private readonly ctx: OAuthContext,
    private readonly options: Readonly<{ now?: () => Date; log?: OAuthLog }> = {},
  ) {
    ctx.store.committed$.subscribe(() => {
      this.generation += 1;
      this.rows.clear();
    });
  }

  async accessToken(server: UpstreamIdentity): Promise<string | null> {
    const current = await this.current(server.id);
    if (current === null) return null;
    if (current.refreshAt === null || this.now().getTime() < current.refreshAt) return current.token;
    const refreshed = await this.refresh(server.id, current.fp, false);
    // A refresh that failed for a passing reason leaves the current token, which may still be valid.
    return refreshed ?? (await this.current(server.id))?.token ?? null;
  }

  async unauthorized(server: UpstreamIdentity, sent: string | null, challenge: string | null): Promise<string | null> {
    const current = await this.current(server.id);
    if (sent === null || current === null) {
      this.challenges.set(server.id, parseChallenge(challenge, this.now()));
      return null;
    }
    // Another request refreshed while this one was in flight: retry with the new token.
    if (current.token !== sent) return current.token;
    return this.refresh(server.id, current.fp, true);
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
    for (const serverId of await new OAuthReadModel(this.ctx.reads).serversWithExpiringTokens()) void this.scheduleRefresh(serverId);
    const subscription = this.ctx.store.committed$.subscribe((event) => {
      if (TOKEN_EVENTS.has(event.type)) void this.scheduleRefresh((event.data as { serverId: string }).serverId);
    });
    return () => {
      this.background = false;
      subscription.unsubscribe();
      for (const timer of this.timers.values()) clearTimeout(timer);
      this.timers.clear();
    };
  }

  /** The upstream's last 401 to a request without our token (where to authorize), if any. */
  challengeOf(serverId: string): Challenge | null {
    return this.challenges.get(serverId) ?? null;
  }

  /** The last refresh that failed for a passing reason (network, 5xx), until one succeeds. */
  refreshFailureOf(serverId: string): RefreshFailure | null {
    return this.failures.get(serverId) ?? null;
  }

  /** Forgets what this process learnt about a server at run time (after a new grant or a revocation). */
  reset(serverId: string): void {
    this.challenges.delete(serverId);
    this.failures.delete(serverId);
    this.cache.delete(serverId);
    this.rows.delete(serverId);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private async scheduleRefresh(serverId: string, retryInMs?: number): Promise<void> {
    clearTimeout(this.timers.get(serverId));
    this.timers.delete(serverId);
    if (!this.background) return;
    this.rows.delete(serverId);
    const current = await this.current(serverId);
    // Stopped, or scheduled again (by a newer event) while the row was read.
    if (!this.background || this.timers.has(serverId)) return;
    if (current === null || current.refreshAt === null) return;
    const delay = retryInMs ?? Math.max(0, current.refreshAt - this.now().getTime());
    const timer = setTimeout(() => {
      this.timers.delete(serverId);
      if (this.now().getTime() < current.refreshAt!) {
        void this.scheduleRefresh(serverId);
        return;
      }
      void this.refresh(serverId, current.fp, false).catch((error: unknown) => {
        this.options.log?.('warn', 'oauth background refresh failed', { serverId, error: error instanceof Error ? error.message : String(error) });
      }).then(async () => {
        // Refreshed (or revoked): the commit has set the next timer. Still the same token: a
        // passing failure, tried again a little later rather than at once.
        if ((await this.current(serverId))?.fp === current.fp) await this.scheduleRefresh(serverId, BACKGROUND_RETRY_MS);
      });
    }, Math.min(delay, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(serverId, timer);
  }

  private async row(serverId: string): Promise<OAuthTokenRow | null> {
    const now = Date.now();
    const reused = this.rows.get(serverId);
    if (reused !== undefined && now - reused.readAt < ROW_REUSE_MS) return reused.row;
    const generation = this.generation;
    const row = await new OAuthReadModel(this.ctx.reads).activeTokens(serverId);
    // A commit while the row was read makes it stale: not kept for the next request.
    if (generation === this.generation) this.rows.set(serverId, { row, readAt: now });
    return row;
  }

  private async current(serverId: string): Promise<CurrentToken | null> {
    const row = await this.row(serverId);
    if (row === null || row.accessToken === null) {
      this.cache.delete(serverId);
      return null;
    }
    const cached = this.cache.get(serverId);
    if (cached?.version === row.version) return cached;
    const sealed = JSON.parse(row.accessToken) as SealedSecret;
    const expiresAt = row.expiresAt === null ? null : Date.parse(row.expiresAt);
    const issuedAt = Date.parse(row.refreshedAt ?? row.grantedAt);
    const current: CurrentToken = {
      version: row.version,
      token: this.ctx.secrets.open(sealed),
      fp: sealed.fp,
      expiresAt,
      refreshAt: expiresAt === null ? null : expiresAt - refreshMarginMs(expiresAt - issuedAt),
    };
    this.cache.set(serverId, current);
    return current;
  }

  private refresh(serverId: string, fromFp: string, refused: boolean): Promise<string | null> {
    let flight = this.refreshing.get(serverId);
    if (flight === undefined) {
      flight = this.refreshNow(serverId, fromFp, refused).finally(() => this.refreshing.delete(serverId));
      this.refreshing.set(serverId, flight);
    }
    return flight;
  }

  private async refreshNow(serverId: string, fromFp: string, refused: boolean): Promise<string | null> {
    const { state } = await loadOAuthState(this.ctx, serverId);
    if (state.status !== 'authorized') return null;
    const { grant } = state;
    if (grant.accessToken.fp !== fromFp) return (await this.current(serverId))?.token ?? null;
    const at = this.now();
    const context: CommandContext = { actor: 'system:oauth', correlationId: randomUUID(), now: () => at };
    if (grant.refreshToken === null) {
      const expired = grant.expiresAt !== null && Date.parse(grant.expiresAt) <= at.getTime();
      if (!refused && !expired) return (await this.current(serverId))?.token ?? null;
      await this.revoke(serverId, fromFp, refused ? 'the upstream refused the access token and there is no refresh token' : 'the access token expired and there is no refresh token', false, context);
      return null;
    }
    try {
      const response = await refreshTokens(grant.server.tokenEndpoint, credentialsOf(this.ctx, grant.client), this.ctx.secrets.open(grant.refreshToken), grant.resource);
      const tokens = sealTokens(this.ctx, response, at, { refreshToken: grant.refreshToken, scopes: grant.scopes });
      const recorded = await runOAuthCommand(this.ctx, serverId, { type: 'RefreshOAuthTokens', data: { serverId, refreshedFrom: fromFp, tokens } }, context);
      // Revoked or re-granted while the refresh was on the wire: what is stored now wins.
      if (recorded.events.length === 0) return (await this.current(serverId))?.token ?? null;
      this.failures.delete(serverId);
      this.options.log?.('info', 'oauth tokens refreshed', { serverId, rotated: response.refreshToken !== null, correlationId: context.correlationId });
      return response.accessToken;
    } catch (error) {
      if (error instanceof OAuthErrorResponse) {
        const detail = `the authorization server refused the refresh (${error.message})`;
        await this.revoke(serverId, fromFp, detail, error.error === 'invalid_client', context);
        return null;
      }
      const message = error instanceof Error ? error.message : String(error);
      this.failures.set(serverId, { at: at.toISOString(), message });
      this.options.log?.('warn', 'oauth refresh failed; keeping the current tokens', { serverId, error: message, correlationId: context.correlationId });
      return null;
    }
  }

  private async revoke(serverId: string, fromFp: string, detail: string, clientRejected: boolean, context: CommandContext): Promise<void> {
    await runOAuthCommand(
      this.ctx,
      serverId,
      { type: 'RevokeOAuthTokens', data: { serverId, reason: 'refresh_failed', detail, clientRejected, ofAccessToken: fromFp } },
      context,
    );
    this.cache.delete(serverId);
    this.options.log?.('warn', 'oauth tokens dropped; the server needs a new authorization', { serverId, detail, correlationId: context.correlationId });
  }
}
