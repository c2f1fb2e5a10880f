import Router from '@koa/router';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { correlationIdOf, setCommonHeaders } from '../middleware';

export type Readiness = { ready: true } | { ready: false; reason: string };
export type ReadinessCheck = () => Promise<Readiness>;

const LIVE = JSON.stringify({ status: 'ok' });

/**
 * `/healthz`: the process answers. Served before Koa and before anything else is read, so that
 * it answers at once however busy the API is; true when it was this request.
 */
export const serveLiveness = (req: IncomingMessage, res: ServerResponse): boolean => {
  const url = req.url ?? '';
  if ((url !== '/healthz' && !url.startsWith('/healthz?')) || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  setCommonHeaders(res, correlationIdOf(req.headers['x-correlation-id'] as string | undefined));
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(LIVE) });
  res.end(req.method === 'HEAD' ? undefined : LIVE);
  return true;
};

/** `/readyz`: it can serve (database writable, migrations applied). */
export const healthRoutes = (readiness: ReadinessCheck): Router => {
  const router = new Router();
  router.get('/readyz', async (ctx) => {
    const result = await readiness();
    ctx.status = result.ready ? 200 : 503;
    ctx.body = result.ready ? { status: 'ready' } : { status: 'not_ready', reason: result.reason };
  });
  return router;
};
