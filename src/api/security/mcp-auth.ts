import type { IncomingMessage } from 'node:http';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { HttpRefusal } from '../../infrastructure/transports/streamable-http';
import { presentedKey } from '../mcp/http-guards';
import type { AuthFailureLimiter } from './auth-failures';

/** The 429 of the MCP endpoints, as a JSON-RPC error with `Retry-After`. */
export const refuseIfBlocked = (limiter: AuthFailureLimiter, address: string): void => {
  const retryAfter = limiter.retryAfter(address);
  if (retryAfter === null) return;
  throw new HttpRefusal(429, -32000, `Too many failed authentication attempts from this address; retry in ${retryAfter} s`, {
    'Retry-After': String(retryAfter),
  });
};

/**
 * Where a legacy SSE client posts its messages. A client that authenticated with `?api_key=`
 * (one that cannot set headers) gets the key back in that URL, on its own stream: it could
 * not post otherwise, since the messages POST is authenticated like every other request.
 */
export const sseMessagesEndpoint = (slug: string, req: IncomingMessage, url: URL, profile: ProxyProfile): string => {
  const path = `/mcp/${encodeURIComponent(slug)}/messages`;
  const key = profile.auth.apiKey && profile.auth.queryParam ? presentedKey(req, url, profile) : undefined;
  if (key === undefined || url.searchParams.get('api_key') !== key) return path;
  return `${path}?${new URLSearchParams({ api_key: key }).toString()}`;
};
