import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeTempDir } from './temp-dir';

export type DocumentHandler = (req: IncomingMessage, res: ServerResponse) => void;

export type HttpsDocuments = Readonly<{
  /** `https://127.0.0.1:<port>` */
  origin: string;
  /** The self-signed certificate (PEM file) a process must trust: NODE_EXTRA_CA_CERTS. */
  certificateFile: string;
  /** Serves `handler` at `path` (replacing any earlier one). */
  route: (path: string, handler: DocumentHandler) => void;
  /** How often each path was asked for. */
  hits: (path: string) => number;
  stop: () => Promise<void>;
}>;

/**
 * An https server on 127.0.0.1 with a certificate made for this run (openssl, one day, for the
 * IP address 127.0.0.1): where a client's metadata document lives in a test, since a client id
 * must be an https URL.
 */
export const startHttpsDocuments = async (): Promise<HttpsDocuments> => {
  const dir = makeTempDir('gatehouse-https-');
  const key = join(dir.path, 'key.pem');
  const certificateFile = join(dir.path, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', key, '-out', certificateFile, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'pipe' });
  const routes = new Map<string, DocumentHandler>();
  const counts = new Map<string, number>();
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(certificateFile) }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    certificateFile,
    route: (path, handler) => routes.set(path, handler),
    hits: (path) => counts.get(path) ?? 0,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      dir.cleanup();
    },
  };
};

/** A handler that answers `body` as JSON (or as `contentType`). */
export const json = (body: unknown, contentType = 'application/json'): DocumentHandler => (_req, res) => {
  res.writeHead(200, { 'content-type': contentType }).end(typeof body === 'string' ? body : JSON.stringify(body));
};
