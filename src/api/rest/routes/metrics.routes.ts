import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { GatehouseMetrics } from '../../../infrastructure/telemetry';

/**
 * `GET /metrics`, Prometheus text format. It needs the admin token like `/api` (the guards
 * are the app's: token check and failed-auth budget): its labels name profiles, servers and
 * their state, which `/api` protects too, and the gateway may be bound beyond loopback.
 * Prometheus sends the token with `authorization: { credentials_file: <data dir>/admin.token }`.
 */
export const metricsRoutes = (metrics: GatehouseMetrics, guards: readonly Middleware[]): Router => {
  const router = new Router();
  router.get('/metrics', ...guards, async (ctx) => {
    ctx.set('Content-Type', metrics.contentType);
    ctx.body = await metrics.text();
  });
  return router;
};
