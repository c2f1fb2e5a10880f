import type { TokenEndpointAuthMethod } from '../../domain/oauth';
import { timedFetch, upstreamError } from './http';

/** A client as the token endpoint sees it: the secret is plaintext here, in memory only. */
export type ClientCredentials = Readonly<{ clientId: string; clientSecret: string | null; method: TokenEndpointAuthMethod }>;

/** A successful token response (RFC 6749 §5.1), checked. */
export type TokenResponse = Readonly<{
  accessToken: string;
  refreshToken: string | null;
  expiresInSeconds: number | null;
  scopes: readonly string[] | null;
}>;

/**
 * The authorization server answered with an OAuth error (RFC 6749 §5.2), e.g. `invalid_grant`:
 * a definite no, unlike a network failure or a 5xx, which may pass.
 */
export class OAuthErrorResponse extends Error {
  override readonly name = 'OAuthErrorResponse';
  constructor(
    readonly error: string,
    readonly description: string | null,
    readonly status: number,
  ) {
    super(description === null ? error : `${error}: ${description}`);
  }
}

/** RFC 6749 §2.3.1: the id and secret are form-urlencoded before they go into Basic. */
const formEncode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');

const authenticate = (client: ClientCredentials, headers: Headers, body: URLSearchParams): void => {
  if (client.method === 'client_secret_basic' && client.clientSecret !== null) {
    const pair = `${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`;
    headers.set('authorization', `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`);
    return;
  }
  body.set('client_id', client.clientId);
  if (client.method === 'client_secret_post' && client.clientSecret !== null) body.set('client_secret', client.clientSecret);
};

const readJson = async (response: Response): Promise<Record<string, unknown>> => {
  const parsed: unknown = await response.json().catch(() => null);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
};

/** POSTs a form with client authentication; never follows redirects (credentials are in it). */
export const postForm = async (endpoint: string, client: ClientCredentials, params: Record<string, string>): Promise<Response> => {
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
  const body = new URLSearchParams(params);
  authenticate(client, headers, body);
  try {
    return await timedFetch()(endpoint, { method: 'POST', headers, body, redirect: 'manual' });
  } catch (error) {
    throw upstreamError(`could not reach ${endpoint}`, error);
  }
};

const tokenResponse = async (response: Response, endpoint: string): Promise<TokenResponse> => {
  const body = await readJson(response);
  if (!response.ok) {
    if (typeof body.error === 'string' && response.status >= 400 && response.status < 500) {
      throw new OAuthErrorResponse(body.error, typeof body.error_description === 'string' ? body.error_description : null, response.status);
    }
    throw upstreamError(`${endpoint} answered HTTP ${response.status}`);
  }
  const { access_token: accessToken, token_type: tokenType, refresh_token: refreshToken, expires_in: expiresIn, scope } = body;
  if (typeof accessToken !== 'string' || accessToken === '') throw upstreamError(`${endpoint} returned no access_token`);
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw upstreamError(`${endpoint} returned a token of type ${String(tokenType)}, not Bearer`);
  }
  return {
    accessToken,
    refreshToken: typeof refreshToken === 'string' && refreshToken !== '' ? refreshToken : null,
    expiresInSeconds: typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : null,
    scopes: typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : null,
  };
};

/** The authorization code grant with the PKCE verifier and the RFC 8707 resource. */
export const exchangeCode = async (
  endpoint: string,
  client: ClientCredentials,
  grant: Readonly<{ code: string; codeVerifier: string; redirectUri: string; resource: string | null }>,
): Promise<TokenResponse> => {
  const params: Record<string, string> = {
    grant_type: 'authorization_code',
    code: grant.code,
    code_verifier: grant.codeVerifier,
    redirect_uri: grant.redirectUri,
    ...(grant.resource === null ? {} : { resource: grant.resource }),
  };
  return tokenResponse(await postForm(endpoint, client, params), endpoint);
};

/** The refresh token grant; the resource is sent again so the new token has the same audience. */
export const refreshTokens = async (
  endpoint: string,
  client: ClientCredentials,
  refreshToken: string,
  resource: string | null,
): Promise<TokenResponse> => {
  const params: Record<string, string> = {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...(resource === null ? {} : { resource }),
  };
  return tokenResponse(await postForm(endpoint, client, params), endpoint);
};

/** RFC 7009. True when the server confirmed (200); revocation is best effort for the caller. */
export const revokeToken = async (
  endpoint: string,
  client: ClientCredentials,
  token: string,
  hint: 'access_token' | 'refresh_token',
): Promise<boolean> => {
  const response = await postForm(endpoint, client, { token, token_type_hint: hint });
  await response.body?.cancel();
  return response.status === 200;
};
