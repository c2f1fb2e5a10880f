import type { IncomingMessage } from 'node:http';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { HttpRefusal } from '../../infrastructure/transports/streamable-http';
import { presentedKey } from '../mcp/http-guards';
import { clientAddress, presentedCredential, TOO_MANY_FAILURES, type AuthFailureLimiter } from './auth-failures';

/** A refusal of the MCP endpoints as its caller gets it: a 401 becomes 429 (a JSON-RPC error with `Retry-After`) once the caller is over the limit. */
export const limitedRefusal = (limiter: AuthFailureLimiter, req: IncomingMessage, url: URL, refusal: HttpRefusal): HttpRefusal => {
  if (refusal.status !== 401) return refusal;
  const retryAfter = limiter.refuse(clientAddress(req.socket), presentedCredential(req, url));
  if (retryAfter === null) return refusal;
  return new HttpRefusal(429, -32000, `${TOO_MANY_FAILURES} ${retryAfter} s`, { 'Retry-After': String(retryAfter) });
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
