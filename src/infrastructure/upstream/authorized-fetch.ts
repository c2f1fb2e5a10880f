import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { UpstreamSpec } from './types';

export type UpstreamIdentity = Pick<UpstreamSpec, 'id' | 'name' | 'url'>;

/**
 * Where an HTTP upstream's bearer token comes from when Gatehouse holds OAuth tokens for it
 * (see infrastructure/oauth). Asked on every request, so a refreshed token is used at once
 * without reconnecting; tokens are plaintext only in memory and never logged.
 */
export interface UpstreamTokenSource {
  /** The token to send now (refreshed first when it is about to expire), or null: send only the configured headers. */
  accessToken(server: UpstreamIdentity): Promise<string | null>;
  /**
   * The upstream answered 401 to a request sent with `sent` (null: without a token of ours).
   * Returns the token to retry that request with once, or null to give up; `challenge` is the
   * WWW-Authenticate header, which says where the upstream's OAuth metadata is.
   */
  unauthorized(server: UpstreamIdentity, sent: string | null, challenge: string | null): Promise<string | null>;
}

/**
 * Wraps the transport's fetch: our token replaces any configured Authorization header (OAuth
 * tokens are what the admin authorized last), and a 401 is retried once with whatever the
 * token source offers (a refresh, single-flight there). Bodies are the SDK's JSON strings, so
 * a request can be sent twice. Nothing of the downstream client's request reaches this point.
 */
export const authorizedFetch =
  (server: UpstreamIdentity, tokens: UpstreamTokenSource, base: FetchLike = fetch): FetchLike =>
  async (url, init) => {
    const send = (token: string | null): Promise<Response> => {
      if (token === null) return base(url, init);
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      return base(url, { ...init, headers });
    };
    const token = await tokens.accessToken(server);
    const response = await send(token);
    if (response.status !== 401) return response;
    const retryWith = await tokens.unauthorized(server, token, response.headers.get('www-authenticate'));
    if (retryWith === null || retryWith === token) return response;
    await response.body?.cancel().catch(() => undefined);
    return send(retryWith);
  };
