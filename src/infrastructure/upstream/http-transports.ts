import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { UpstreamError } from './errors';
import { authorizedFetch, withBearer, type UpstreamTokenSource } from './authorized-fetch';
import { allowlistedFetch, isHostAllowed } from './host-allowlist';
import { perRequestSignals } from './request-signals';
import { StreamableHttpClientTransport } from '../transports/streamable-http';
import type { UpstreamSpec } from './types';

/** The configured headers plus the bearer token, sent on every request of the session. */
export const upstreamHeaders = (spec: UpstreamSpec): Record<string, string> => {
  // A configured Authorization header loses to the explicit bearer token.
  return spec.bearerToken === null ? { ...spec.headers } : withBearer(spec.headers, spec.bearerToken);
};

export const upstreamUrl = (spec: UpstreamSpec): URL => {
  if (!spec.url) throw new UpstreamError('UPSTREAM_MISCONFIGURED', spec, `transport ${spec.transport} needs a url`);
  try {
    const url = new URL(spec.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported scheme ${url.protocol}`);
    return url;
  } catch (error) {
    throw new UpstreamError('UPSTREAM_MISCONFIGURED', spec, `invalid url: ${(error as Error).message}`, { cause: error });
  }
};

/**
 * A fresh transport for one HTTP session (a new one is made for every re-initialise): our
 * own for Streamable HTTP (see ../transports/streamable-http/client.ts), the SDK's for legacy SSE.
 * `allowedHosts` is read at every request, so a tightened allowlist applies to live sessions.
 * `tokens` supplies OAuth tokens at every request (see authorized-fetch.ts).
 */
export const createHttpTransport = (
  spec: UpstreamSpec,
  allowedHosts: () => readonly string[] = () => [],
  tokens?: UpstreamTokenSource,
): Transport => {
  const url = upstreamUrl(spec);
  if (!isHostAllowed(url, allowedHosts())) {
    throw new UpstreamError('UPSTREAM_MISCONFIGURED', spec, `host ${url.hostname} is not in settings.upstreamAllowedHosts`);
  }
  if (spec.transport !== 'sse') {
    return new StreamableHttpClientTransport({ url, server: spec, headers: upstreamHeaders(spec), allowedHosts, tokens });
  }
  const checked = allowlistedFetch(allowedHosts, perRequestSignals());
  const fetch = tokens === undefined ? checked : authorizedFetch(spec, tokens, checked);
  return new SSEClientTransport(url, { requestInit: { headers: upstreamHeaders(spec) }, fetch });
};
