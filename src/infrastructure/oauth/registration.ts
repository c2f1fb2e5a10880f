import { TOKEN_ENDPOINT_AUTH_METHODS, type TokenEndpointAuthMethod } from '../../domain/oauth';
import type { Discovery } from './discovery';
import { timedFetch, unsupported, upstreamError } from './http';

export type DynamicRegistration = Readonly<{
  clientId: string;
  clientSecret: string | null;
  clientSecretExpiresAt: string | null;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
}>;

/**
 * Gatehouse runs on a server and can keep a secret, so it registers as a confidential client
 * when the authorization server allows it; PKCE protects the code either way.
 */
export const preferredAuthMethod = (supported: readonly string[], hasSecret: boolean): TokenEndpointAuthMethod => {
  if (hasSecret && supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (hasSecret && supported.includes('client_secret_post')) return 'client_secret_post';
  return hasSecret && !supported.includes('none') ? 'client_secret_basic' : 'none';
};

const isAuthMethod = (value: unknown): value is TokenEndpointAuthMethod =>
  typeof value === 'string' && (TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(value);

/**
 * RFC 7591 Dynamic Client Registration. No `scope` is registered: it is optional, the
 * authorization request names the scopes anyway, and servers refuse resource-server scopes
 * they do not list themselves (oidc-provider does) in client metadata.
 */
export const registerClient = async (discovery: Discovery, redirectUri: string): Promise<DynamicRegistration> => {
  if (discovery.registrationEndpoint === null) {
    throw unsupported(
      `the authorization server ${discovery.issuer} offers no dynamic client registration; give a pre-registered clientId`,
    );
  }
  const wanted = preferredAuthMethod(discovery.tokenEndpointAuthMethods, true);
  const request = {
    client_name: 'Gatehouse',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: wanted,
  };
  let response: Response;
  try {
    response = await timedFetch()(discovery.registrationEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
      redirect: 'manual',
    });
  } catch (error) {
    throw upstreamError(`could not reach ${discovery.registrationEndpoint}`, error);
  }
  const body: unknown = await response.json().catch(() => null);
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (response.status !== 201 && response.status !== 200) {
    const reason = typeof fields.error === 'string' ? `${fields.error}${typeof fields.error_description === 'string' ? `: ${fields.error_description}` : ''}` : `HTTP ${response.status}`;
    throw upstreamError(`the client registration at ${discovery.registrationEndpoint} failed (${reason})`);
  }
  if (typeof fields.client_id !== 'string' || fields.client_id === '') throw upstreamError('the client registration returned no client_id');
  const clientSecret = typeof fields.client_secret === 'string' && fields.client_secret !== '' ? fields.client_secret : null;
  const method = isAuthMethod(fields.token_endpoint_auth_method) ? fields.token_endpoint_auth_method : clientSecret === null ? 'none' : wanted;
  const expiresAt = fields.client_secret_expires_at;
  return {
    clientId: fields.client_id,
    clientSecret,
    // RFC 7591 §3.2.1: 0 (or absent) means the secret does not expire.
    clientSecretExpiresAt: typeof expiresAt === 'number' && expiresAt > 0 ? new Date(expiresAt * 1000).toISOString() : null,
    tokenEndpointAuthMethod: method === 'none' || clientSecret !== null ? method : 'none',
  };
};
