import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { UpstreamSpec } from './types';

export type UpstreamIdentity = Pick<UpstreamSpec, 'id' | 'name' | 'url' | 'credentials' | 'userId'>;

/**
 * Where an HTTP upstream's bearer token comes from when Gatehouse holds OAuth tokens for it
 * (see infrastructure/oauth). Asked on every request, so a refreshed token is used at once
 * without reconnecting; tokens are plaintext only in memory and never logged.
 */
/**
 * A spec that carries a user (a per-user server's, see UpstreamSpec.userId) is answered with
 * that user's own grant, and a per-user spec without one with none: the tokens of an admin's
 * authorization of a server never reach a connection that acts as one user.
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

/** `headers` with any Authorization header, whatever its case, replaced by the bearer token. */
export const withBearer = <H extends Record<string, unknown>>(headers: H, token: string): H & { Authorization: string } => {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'authorization') result[name] = value;
  result.Authorization = `Bearer ${token}`;
  return result as H & { Authorization: string };
};

/** How a transport reads a response for `sendWithToken`: null when it is not a 401. */
export type Refusal = Readonly<{ challenge: string | null; discard: () => unknown }>;

/**
 * Sends with the token the source has now (null: none), and once more with the token it offers
 * after a 401 (a refresh, single-flight there); the refused response is discarded first. Both
 * upstream HTTP transports send through this, so they cannot drift apart in how they retry.
 */
export const sendWithToken = async <R>(
  server: UpstreamIdentity,
  tokens: UpstreamTokenSource,
  send: (token: string | null) => Promise<R>,
  refusal: (response: R) => Refusal | null,
): Promise<R> => {
  const token = await tokens.accessToken(server);
  const response = await send(token);
  const refused = refusal(response);
  if (refused === null) return response;
  const retryWith = await tokens.unauthorized(server, token, refused.challenge);
  if (retryWith === null || retryWith === token) return response;
  await refused.discard();
  return send(retryWith);
};

/**
 * Wraps the transport's fetch: our token replaces any configured Authorization header (OAuth
 * tokens are what the admin authorized last), and a 401 is retried once with whatever the
 * token source offers (a refresh, single-flight there). Bodies are the SDK's JSON strings, so
 * a request can be sent twice. Nothing of the downstream client's request reaches this point.
 */
export const authorizedFetch =
  (server: UpstreamIdentity, tokens: UpstreamTokenSource, base: FetchLike = fetch): FetchLike =>
  (url, init) =>
    sendWithToken(
      server,
      tokens,
      (token) => {
        if (token === null) return base(url, init);
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${token}`);
        return base(url, { ...init, headers });
      },
      // The refused answer's body is cancelled before the retry; a cancel that fails frees nothing more.
      (response) =>
        response.status !== 401
          ? null
          : { challenge: response.headers.get('www-authenticate'), discard: () => response.body?.cancel().catch(() => undefined) },
    );
