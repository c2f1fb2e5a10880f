import { oauthStreamId } from '../../domain/oauth';
import type { Sql } from '../eventstore';
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

type TokensRow = {
  issuer: string; resource: string | null; refresh_token: string | null; expires_at: string | null; scopes: string; status: string;
  status_detail: string | null; granted_at: string; refreshed_at: string | null; revoked_at: string | null;
};
type ClientRow = { client_id: string; issuer: string; method: string; stale: number; registered_at: string };

const statusOf = (
  tokens: TokensRow | undefined,
  challenge: { at: string; error: string | null } | null,
  now: Date,
): { status: OAuthStatus; reason: string | null } => {
  const challenged = (since: string | null): { status: OAuthStatus; reason: string } | null =>
    challenge !== null && (since === null || challenge.at > since)
      ? { status: 'auth_required', reason: `the upstream answered 401${challenge.error ? ` (${challenge.error})` : ''}; authorize it` }
      : null;
  if (tokens === undefined) return challenged(null) ?? { status: 'not_authorized', reason: null };
  if (tokens.status === 'active') {
    const expired = tokens.expires_at !== null && Date.parse(tokens.expires_at) <= now.getTime();
    if (expired && tokens.refresh_token === null) return { status: 'auth_required', reason: 'the access token expired and there is no refresh token' };
    return { status: 'authorized', reason: null };
  }
  if (tokens.status === 'refresh_failed') return { status: 'auth_required', reason: tokens.status_detail };
  return challenged(tokens.revoked_at) ?? { status: 'not_authorized', reason: tokens.status_detail };
};

/** The OAuth state of a server from the read models, with what this process saw at run time. */
export const oauthStatus = (
  sql: Sql,
  runtime: Readonly<{ tokens: OAuthTokenManager; pending: PendingAuthorizations }>,
  serverId: string,
  now: Date = new Date(),
): OAuthStatusView => {
  const tokens = sql.get<TokensRow>(
    `SELECT issuer, resource, refresh_token, expires_at, scopes, status, status_detail, granted_at, refreshed_at, revoked_at
     FROM oauth_tokens WHERE server_id = ?`,
    serverId,
  );
  const client = sql.get<ClientRow>(
    'SELECT client_id, issuer, method, stale, registered_at FROM oauth_client_registrations WHERE server_id = ?',
    serverId,
  );
  const version = sql.get<{ version: number }>('SELECT version FROM streams WHERE stream_id = ?', oauthStreamId(serverId))?.version ?? 0;
  const active = tokens?.status === 'active';
  return {
    serverId,
    ...statusOf(tokens, runtime.tokens.challengeOf(serverId), now),
    expiresAt: active ? (tokens?.expires_at ?? null) : null,
    scopes: active && tokens ? (JSON.parse(tokens.scopes) as string[]) : [],
    issuer: tokens?.issuer ?? client?.issuer ?? null,
    resource: tokens?.resource ?? null,
    grantedAt: tokens?.granted_at ?? null,
    refreshedAt: tokens?.refreshed_at ?? null,
    revokedAt: tokens?.revoked_at ?? null,
    client: client
      ? { clientId: client.client_id, issuer: client.issuer, method: client.method, stale: client.stale === 1, registeredAt: client.registered_at }
      : null,
    pendingAuthorization: runtime.pending.isPending(serverId),
    lastRefreshError: runtime.tokens.refreshFailureOf(serverId),
    version,
  };
};
