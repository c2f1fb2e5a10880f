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
export const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
