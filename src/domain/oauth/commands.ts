import type { DomainCommand } from '../shared';
import type { AuthorizationServerEndpoints, OAuthClient, OAuthTokenSet, RevocationReason } from './events';

/** Records the client Gatehouse uses with the server's authorization server; the same again is a no-op. */
export type RegisterOAuthClient = DomainCommand<'RegisterOAuthClient', { serverId: string; client: OAuthClient }>;

/** Records the tokens of a finished authorization (code exchange). */
export type GrantOAuthTokens = DomainCommand<
  'GrantOAuthTokens',
  { serverId: string; clientId: string; server: AuthorizationServerEndpoints; resource: string | null; tokens: OAuthTokenSet }
>;

/**
 * Records a refresh. `refreshedFrom` is the fingerprint of the access token that was replaced:
 * a refresh that raced with a newer grant (or another refresh) is dropped, not applied on top.
 */
export type RefreshOAuthTokens = DomainCommand<
  'RefreshOAuthTokens',
  { serverId: string; refreshedFrom: string; tokens: OAuthTokenSet }
>;

/**
 * Forgets the tokens. `ofAccessToken` (a fingerprint) limits it to those tokens: a refresh
 * failure of old tokens must not discard tokens granted meanwhile. Null: whatever is current.
 */
export type RevokeOAuthTokens = DomainCommand<
  'RevokeOAuthTokens',
  { serverId: string; reason: RevocationReason; detail: string | null; clientRejected: boolean; ofAccessToken: string | null }
>;

/** Marks the registration stale when it is still the client refused; a newer one is left alone. */
export type RejectOAuthClient = DomainCommand<'RejectOAuthClient', { serverId: string; clientId: string }>;

export type OAuthCommand = RegisterOAuthClient | GrantOAuthTokens | RefreshOAuthTokens | RevokeOAuthTokens | RejectOAuthClient;
