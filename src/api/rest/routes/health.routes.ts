import Router from '@koa/router';

export type Readiness = { ready: true } | { ready: false; reason: string };
export type ReadinessCheck = () => Promise<Readiness>;

/** `/healthz`: the process answers. `/readyz`: it can serve (database writable, migrations applied). */
export const healthRoutes = (readiness: ReadinessCheck): Router => {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const result = await readiness();
    ctx.status = result.ready ? 200 : 503;
    ctx.body = result.ready ? { status: 'ready' } : { status: 'not_ready', reason: result.reason };
  });
  return router;
};
