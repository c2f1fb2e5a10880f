/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, the MCP
 * authorization spec's preferred registration): a client's `client_id` is the https URL of a
 * JSON document that describes it, fetched when the client first shows up. oidc-provider does
 * the protocol part (its `clientIdMetadataDocument` feature: https only, no fragment or dot
 * segments, `client_id` in the document equal to the URL, no shared secrets, a 2.5 s timeout,
 * redirects not followed, a body limit, a cache bounded by `Cache-Control`) and refuses to
 * connect to loopback, private or other special-use addresses. This module adds what
 * Gatehouse asks of it: a JSON content type, a smaller size limit, a bounded URL, and, only
 * where an administrator says so, loopback hosts. The document's redirect URIs are checked as a
 * registration's are (at least one; a request's must be one of them exactly).
 */

/**
 * GATEHOUSE_OAUTH_CLIENT_METADATA: `on` (the default), `off` (dynamic registration only), or
 * `loopback` (also fetch documents from https://127.0.0.1, https://[::1] or https://localhost:
 * for tests and clients on the same machine; still https only).
 */
export type ClientMetadataDocumentsMode = 'on' | 'off' | 'loopback';

export const CLIENT_METADATA_MODES: readonly ClientMetadataDocumentsMode[] = ['on', 'off', 'loopback'];

/** The body limit oidc-provider applies, by its name for this purpose. */
export const CLIENT_METADATA_PURPOSE = 'client_id metadata document';
/** A client's document names it and its redirect URIs: a few hundred bytes, never many kilobytes. */
export const CLIENT_METADATA_MAX_BYTES = 4096;
const MAX_CLIENT_ID_LENGTH = 512;
/** How long a fetched document is trusted, in seconds, whatever its cache headers say. */
const CACHE_SECONDS = { min: 30, max: 3600 };

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

const isJsonType = (contentType: string | null): boolean => {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
};

type FetchOptions = RequestInit & { dispatcher?: unknown };

/**
 * The `fetch` oidc-provider makes its outgoing requests with. Every response must be JSON (a
 * document served as HTML is someone else's page, not a client's metadata). In `loopback` mode a
 * request to a loopback host goes without the provider's special-use address guard, which would
 * refuse it; every other host keeps the guard.
 */
export const providerFetch = (mode: ClientMetadataDocumentsMode) => async (url: string | URL, options: FetchOptions): Promise<Response> => {
  const target = new URL(url);
  const init = mode === 'loopback' && LOOPBACK_HOSTS.has(target.hostname) ? { ...options, dispatcher: undefined } : options;
  const response = await fetch(target, init as RequestInit);
  if (response.status === 200 && !isJsonType(response.headers.get('content-type'))) {
    await response.body?.cancel();
    throw new TypeError(`${target.origin} answered ${response.headers.get('content-type') ?? 'no content type'}, not JSON`);
  }
  return response;
};

/** oidc-provider's `features.clientIdMetadataDocument` for `mode`. */
export const clientMetadataDocumentsFeature = (mode: ClientMetadataDocumentsMode) => ({
  enabled: mode !== 'off',
  ack: 'draft-02',
  allowFetch: async (_ctx: unknown, clientId: string) => clientId.length <= MAX_CLIENT_ID_LENGTH,
  cacheDuration: CACHE_SECONDS,
});
