import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type MetadataServer = Readonly<{
  baseUrl: string;
  /** Every path requested, in order. */
  requests: string[];
  close: () => Promise<void>;
}>;

/**
 * A loopback HTTP server that answers GETs from a table of JSON documents (given its own base
 * URL, so documents can point at it) and 404 otherwise, recording what was asked: for
 * discovery tests that check which metadata URLs are tried, in which order.
 */
export const startMetadataServer = async (
  documents: (baseUrl: string) => Readonly<Record<string, unknown>>,
): Promise<MetadataServer> => {
  const requests: string[] = [];
  let table: Readonly<Record<string, unknown>> = {};
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push(path);
    const document = table[path];
    res.writeHead(document === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(document ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  table = documents(baseUrl);
  return {
    baseUrl,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** Authorization server metadata as RFC 8414 describes it, with S256 unless overridden. */
export const authorizationServerMetadata = (issuer: string, overrides: Record<string, unknown> = {}) => ({
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  registration_endpoint: `${issuer}/register`,
  response_types_supported: ['code'],
  code_challenge_methods_supported: ['S256'],
  ...overrides,
});
