import path from 'node:path';
import { startHttpServer, type RunningHttpServer } from '../fixtures/upstream-fixtures';

const FIXTURES = path.join(__dirname, '../fixtures/oauth');

/** The oidc-provider authorization server fixture; `baseUrl` is its issuer. */
export const startAuthorizationServer = (accessTokenTtlSeconds: number): Promise<RunningHttpServer> =>
  startHttpServer([path.join(FIXTURES, 'authorization-server.mjs')], { ACCESS_TOKEN_TTL: String(accessTokenTtlSeconds) });

/** The MCP server that accepts only `issuer`'s tokens; its endpoint is `${baseUrl}/mcp`. */
export const startProtectedMcpServer = (issuer: string): Promise<RunningHttpServer> =>
  startHttpServer([path.join(FIXTURES, 'protected-mcp-server.mjs')], { AUTH_SERVER: issuer });

export const getJson = async <T>(url: string, method = 'GET'): Promise<T> => {
  const response = await fetch(url, { method });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status}`);
  return (await response.json()) as T;
};

export type AuthServerStats = { codeGrants: number; refreshGrants: number; revocations: number; registrations: number };
export type UpstreamSeen = { authorizations: string[]; unauthorized: number };

/** Polls `read` until `done` holds, at most `timeoutMs`: for state that changes in the background. */
/**
 * Waits, a bounded number of times, until none of the grants whose expiries `expiries` reads is
 * due for its background refresh (`leadMs` before it expires) within `marginMs`, letting the ones
 * due sooner pass, so that what a test does meanwhile is not mixed with a background refresh.
 * False when six waits did not get there; an expiry of null (no grant) is never due.
 */
export const clearOfBackgroundRefresh = async (expiries: () => Promise<readonly (string | null)[]>, leadMs: number, marginMs: number): Promise<boolean> => {
  for (let attempt = 0; attempt < 6; attempt++) {
    const dueIn = (await expiries()).flatMap((expiresAt) => (expiresAt === null ? [] : [Date.parse(expiresAt) - leadMs - Date.now()]));
    const soon = dueIn.filter((ms) => ms < marginMs);
    if (soon.length === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, ...soon) + 400));
  }
  return false;
};

export const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
