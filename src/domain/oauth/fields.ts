import type { OAuthClient, OAuthTokenSet } from './events';

/** Only a client's own fields (a registration or a grant read back from a state carries more). */
export const clientOf = (source: OAuthClient): OAuthClient => ({
  issuer: source.issuer,
  clientId: source.clientId,
  clientSecret: source.clientSecret,
  clientSecretExpiresAt: source.clientSecretExpiresAt,
  method: source.method,
  redirectUri: source.redirectUri,
  tokenEndpointAuthMethod: source.tokenEndpointAuthMethod,
});

/** Only a token set's own fields (a command or an event carries more). */
export const tokensOf = (source: OAuthTokenSet): OAuthTokenSet => ({
  accessToken: source.accessToken,
  refreshToken: source.refreshToken,
  expiresAt: source.expiresAt,
  scopes: source.scopes,
});
