import type { DomainEvent, SealedSecret } from '../shared';

/**
 * How Gatehouse authenticates itself at the token endpoint (RFC 7591 names). `none` is a public
 * client (PKCE alone); the others send the client secret.
 */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/** `preregistered`: credentials an admin gave; `dynamic`: obtained by RFC 7591 registration. */
export type RegistrationMethod = 'preregistered' | 'dynamic';

/** Gatehouse as an OAuth client of one upstream's authorization server. The secret is sealed. */
export type OAuthClient = Readonly<{
  issuer: string;
  clientId: string;
  clientSecret: SealedSecret | null;
  /** ISO-8601; null when the secret does not expire (RFC 7591 `client_secret_expires_at: 0`). */
  clientSecretExpiresAt: string | null;
  method: RegistrationMethod;
  /** The redirect URI a dynamic registration is bound to; null for a pre-registered client. */
  redirectUri: string | null;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
}>;

/** Where tokens are refreshed and revoked: copied from the authorization server's metadata. */
export type AuthorizationServerEndpoints = Readonly<{
  issuer: string;
  tokenEndpoint: string;
  /** RFC 7009; null when the server offers none (tokens are then only forgotten). */
  revocationEndpoint: string | null;
}>;

/** Tokens as they travel in events: sealed, never plaintext, and with no mask hint. */
export type OAuthTokenSet = Readonly<{
  accessToken: SealedSecret;
  refreshToken: SealedSecret | null;
  /** ISO-8601; null when the server did not say (`expires_in` absent). */
  expiresAt: string | null;
  scopes: readonly string[];
}>;

export type OAuthClientRegistered = DomainEvent<'OAuthClientRegistered', OAuthClient & { serverId: string }>;

export type OAuthTokensGranted = DomainEvent<
  'OAuthTokensGranted',
  OAuthTokenSet & {
    serverId: string;
    clientId: string;
    server: AuthorizationServerEndpoints;
    /** The RFC 8707 resource the tokens are for (the upstream's canonical URI). */
    resource: string | null;
  }
>;

/** A refresh; `refreshToken` is the new one when the server rotated it, else the one used. */
export type OAuthTokensRefreshed = DomainEvent<'OAuthTokensRefreshed', OAuthTokenSet & { serverId: string }>;

/**
 * The tokens are gone: revoked by an admin, or refused by the authorization server on refresh
 * (`refresh_failed`, with the server's reason). `clientRejected` marks the client registration
 * as stale (the server no longer knows the client), so the next authorization registers anew.
 */
export type OAuthTokensRevoked = DomainEvent<
  'OAuthTokensRevoked',
  { serverId: string; reason: RevocationReason; detail: string | null; clientRejected: boolean }
>;
export type RevocationReason = 'revoked' | 'refresh_failed';

/**
 * The authorization server refused the client (`invalid_client`) on a refresh of a user's own
 * grant of a per-user server: the registration is stale, so the next authorization registers anew.
 */
export type OAuthClientRejected = DomainEvent<'OAuthClientRejected', { serverId: string; clientId: string }>;

export type OAuthEvent = OAuthClientRegistered | OAuthTokensGranted | OAuthTokensRefreshed | OAuthTokensRevoked | OAuthClientRejected;

export const OAUTH_EVENT_TYPES: readonly OAuthEvent['type'][] = [
  'OAuthClientRegistered',
  'OAuthTokensGranted',
  'OAuthTokensRefreshed',
  'OAuthTokensRevoked',
  'OAuthClientRejected',
];

export const oauthStreamId = (serverId: string): string => `oauth-${serverId}`;
