import { oauthStreamId } from '../../domain/oauth';
import type { EventLog } from '../eventstore';
import { OAuthReadModel, type OAuthTokenRow } from '../readmodels/oauth';
import type { OAuthContext } from './oauth.commands';
import type { PendingAuthorizations } from './pending-authorizations';
import type { OAuthTokenManager, RefreshFailure } from './token-manager';

export type OAuthStatus = 'authorized' | 'auth_required' | 'not_authorized';

/** What GET /api/servers/:id/oauth shows. Never a token or a secret, not even masked. */
export type OAuthStatusView = Readonly<{
  serverId: string;
  status: OAuthStatus;
  reason: string | null;
  expiresAt: string | null;
  scopes: readonly string[];
  issuer: string | null;
  resource: string | null;
  grantedAt: string | null;
  refreshedAt: string | null;
  revokedAt: string | null;
  client: Readonly<{ clientId: string; issuer: string; method: string; stale: boolean; registeredAt: string }> | null;
  pendingAuthorization: boolean;
  lastRefreshError: RefreshFailure | null;
  version: number;
}>;


const statusOf = (
  tokens: OAuthTokenRow | null,
  challenge: { at: string; error: string | null } | null,
  now: Date,
): { status: OAuthStatus; reason: string | null } => {
  const challenged = (since: string | null): { status: OAuthStatus; reason: string } | null =>
    challenge !== null && (since === null || challenge.at > since)
      ? { status: 'auth_required', reason: `the upstream answered 401${challenge.error ? ` (${challenge.error})` : ''}; authorize it` }
      : null;
  if (tokens === null) return challenged(null) ?? { status: 'not_authorized', reason: null };
  if (tokens.status === 'active') {
    const expired = tokens.expiresAt !== null && Date.parse(tokens.expiresAt) <= now.getTime();
    if (expired && tokens.refreshToken === null) return { status: 'auth_required', reason: 'the access token expired and there is no refresh token' };
    return { status: 'authorized', reason: null };
  }
  if (tokens.status === 'refresh_failed') return { status: 'auth_required', reason: tokens.statusDetail };
  return challenged(tokens.revokedAt) ?? { status: 'not_authorized', reason: tokens.statusDetail };
};

/** The OAuth state of a server from the read models, with what this process saw at run time. */
export const oauthStatus = async (
  ctx: Pick<OAuthContext, 'reads'> & { log: EventLog },
  runtime: Readonly<{ tokens: OAuthTokenManager; pending: PendingAuthorizations }>,
  serverId: string,
  now: Date = new Date(),
): Promise<OAuthStatusView> => {
  const reads = new OAuthReadModel(ctx.reads);
  const tokens = await reads.tokens(serverId);
  const client = await reads.registration(serverId);
  const version = await ctx.log.streamVersion(oauthStreamId(serverId));
  const active = tokens?.status === 'active';
  return {
    serverId,
    ...statusOf(tokens, runtime.tokens.challengeOf(serverId), now),
    expiresAt: active ? (tokens?.expiresAt ?? null) : null,
    scopes: active && tokens ? (JSON.parse(tokens.scopes) as string[]) : [],
    issuer: tokens?.issuer ?? client?.issuer ?? null,
    resource: tokens?.resource ?? null,
    grantedAt: tokens?.grantedAt ?? null,
    refreshedAt: tokens?.refreshedAt ?? null,
    revokedAt: tokens?.revokedAt ?? null,
    client: client
      ? { clientId: client.clientId, issuer: client.issuer, method: client.method, stale: client.stale === 1, registeredAt: client.registeredAt }
      : null,
    pendingAuthorization: runtime.pending.isPending(serverId),
    lastRefreshError: runtime.tokens.refreshFailureOf(serverId),
    version,
  };
};
