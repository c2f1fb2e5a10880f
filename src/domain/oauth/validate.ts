import { DomainError } from '../shared';
import { TOKEN_ENDPOINT_AUTH_METHODS, type AuthorizationServerEndpoints, type OAuthClient, type OAuthTokenSet } from './events';

/** RFC 6749 §3.3: a scope token is printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const MAX_CLIENT_ID_LENGTH = 1024;

const invalid = (field: string, message: string): DomainError => new DomainError('INVALID_ARGUMENT', message, { field });

const isHttpUrl = (value: string): boolean => {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
};

const isInstant = (value: string): boolean => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));

export const assertValidClient = (client: OAuthClient): void => {
  if (!isHttpUrl(client.issuer)) throw invalid('issuer', 'issuer must be an http: or https: URL');
  if (client.clientId.trim() === '' || client.clientId.length > MAX_CLIENT_ID_LENGTH) {
    throw invalid('clientId', `clientId must have 1 to ${MAX_CLIENT_ID_LENGTH} characters`);
  }
  if (!TOKEN_ENDPOINT_AUTH_METHODS.includes(client.tokenEndpointAuthMethod)) {
    throw invalid('tokenEndpointAuthMethod', `tokenEndpointAuthMethod must be one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`);
  }
  if (client.tokenEndpointAuthMethod !== 'none' && client.clientSecret === null) {
    throw invalid('clientSecret', `${client.tokenEndpointAuthMethod} needs a client secret`);
  }
  if (client.clientSecretExpiresAt !== null && !isInstant(client.clientSecretExpiresAt)) {
    throw invalid('clientSecretExpiresAt', 'clientSecretExpiresAt must be an ISO-8601 time or null');
  }
  if (client.method === 'dynamic' && (client.redirectUri === null || !isHttpUrl(client.redirectUri))) {
    throw invalid('redirectUri', 'a dynamic registration is bound to an http: or https: redirect URI');
  }
};

export const assertValidTokens = (tokens: OAuthTokenSet): void => {
  if (tokens.expiresAt !== null && !isInstant(tokens.expiresAt)) throw invalid('expiresAt', 'expiresAt must be an ISO-8601 time or null');
  const bad = tokens.scopes.find((scope) => !SCOPE_TOKEN.test(scope));
  if (bad !== undefined) throw invalid('scopes', `"${bad}" is not a valid scope`);
};

export const assertValidEndpoints = (server: AuthorizationServerEndpoints): void => {
  if (!isHttpUrl(server.issuer)) throw invalid('issuer', 'issuer must be an http: or https: URL');
  if (!isHttpUrl(server.tokenEndpoint)) throw invalid('tokenEndpoint', 'tokenEndpoint must be an http: or https: URL');
  if (server.revocationEndpoint !== null && !isHttpUrl(server.revocationEndpoint)) {
    throw invalid('revocationEndpoint', 'revocationEndpoint must be an http: or https: URL or null');
  }
};

export const isValidScope = (scope: string): boolean => SCOPE_TOKEN.test(scope);
