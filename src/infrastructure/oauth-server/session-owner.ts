/**
 * A downstream session opened with an OAuth access token is owned by the token's grant, not
 * by an API key: a refreshed token (same grant) keeps the session, and the API-key watch
 * leaves it alone (the token itself is checked on every request instead).
 */
const OAUTH_SESSION_PREFIX = 'oauth:';

export const oauthSessionOwner = (grantId: string): string => `${OAUTH_SESSION_PREFIX}${grantId}`;

export const isOAuthSessionOwner = (owner: string): boolean => owner.startsWith(OAUTH_SESSION_PREFIX);
