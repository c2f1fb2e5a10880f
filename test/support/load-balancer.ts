import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Routed = Readonly<{ method: string; path: string; to: string }>;

export type LoadBalancer = Readonly<{
  url: string;
  /** Every request forwarded, in order, with the base URL of the instance that served it. */
  routed: Routed[];
  /** Chooses the instance (its base URL) for each request from now on. */
  route: (choose: (method: string, path: string) => string) => void;
  close: () => Promise<void>;
}>;

/**
 * A reverse proxy on 127.0.0.1 in front of several gateway instances, as a load balancer is:
 * each request goes, unchanged (Host included), to the instance `route` picks for it. Started
 * before the instances, so they can be given its URL as GATEHOUSE_PUBLIC_URL.
 */
export const startLoadBalancer = async (): Promise<LoadBalancer> => {
  const routed: Routed[] = [];
  let choose: ((method: string, path: string) => string) | undefined;
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://lb').pathname;
    if (choose === undefined) {
      res.writeHead(503).end();
      return;
    }
    const to = choose(method, path);
    routed.push({ method, path, to });
    const upstream = request(new URL(req.url ?? '/', to), { method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    routed,
    route: (next) => void (choose = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
