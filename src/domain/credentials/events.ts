import type { AuthorizationServerEndpoints, OAuthClient, OAuthTokenSet, RevocationReason } from '../oauth/events';
import type { DomainEvent, SealedMap, SealedSecret } from '../shared';

/**
 * One user's own credentials for one server whose `credentials` setting is `per_user`: what
 * reaches the upstream when that user's sessions call it. Sealed like a server's own secrets;
 * the events never hold a plaintext. A set replaces the whole set (bearer token and env values).
 */
export type UserCredentialsSet = DomainEvent<
  'UserCredentialsSet',
  { serverId: string; userId: string; bearerToken: SealedSecret | null; env: SealedMap }
>;
/** The user removed them, their OAuth grant included (or nobody may use them any more); their upstream connections close. */
export type UserCredentialsRemoved = DomainEvent<'UserCredentialsRemoved', { serverId: string; userId: string }>;

/**
 * The user authorized Gatehouse at the upstream's authorization server as themselves: their own
 * tokens (sealed, as a server's own grant), with the client and endpoints that refresh and revoke
 * them. The client is the server's registration, copied so that the grant outlives a new one.
 */
export type UserOAuthTokensGranted = DomainEvent<
  'UserOAuthTokensGranted',
  OAuthTokenSet & {
    serverId: string;
    userId: string;
    client: OAuthClient;
    server: AuthorizationServerEndpoints;
    /** The RFC 8707 resource the tokens are for. */
    resource: string | null;
  }
>;
/** A refresh of the user's grant; `refreshToken` is the new one when the server rotated it. */
export type UserOAuthTokensRefreshed = DomainEvent<'UserOAuthTokensRefreshed', OAuthTokenSet & { serverId: string; userId: string }>;
/** The user's grant is gone: refused on refresh (`refresh_failed`, with the reason), or revoked. Other credentials stay. */
export type UserOAuthTokensRevoked = DomainEvent<
  'UserOAuthTokensRevoked',
  { serverId: string; userId: string; reason: RevocationReason; detail: string | null }
>;

export type UserCredentialsEvent = UserCredentialsSet | UserCredentialsRemoved | UserOAuthTokensGranted | UserOAuthTokensRefreshed | UserOAuthTokensRevoked;

export const USER_CREDENTIALS_EVENT_TYPES: readonly UserCredentialsEvent['type'][] = [
  'UserCredentialsSet',
  'UserCredentialsRemoved',
  'UserOAuthTokensGranted',
  'UserOAuthTokensRefreshed',
  'UserOAuthTokensRevoked',
];

export const userCredentialsStreamId = (serverId: string, userId: string): string => `credentials-${serverId}-${userId}`;
