import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { GatehouseContext } from '../../infrastructure/commands/context';
import { adminAuth, correlation, problemHandler, requireJsonBody, securityHeaders } from './middleware';
import { ProblemError } from './problem';
import { healthRoutes, type ReadinessCheck } from './routes/health.routes';
import { eventRoutes } from './routes/events.routes';
import { importExportRoutes } from './routes/importexport.routes';
import { keyRoutes } from './routes/keys.routes';
import { settingsRoutes } from './routes/settings.routes';
import { profileRoutes } from './routes/profiles.routes';
import { serverRoutes, type ServerRuntime } from './routes/servers.routes';

export type ApiOptions = Readonly<{
  context: GatehouseContext;
  adminToken: string;
  readiness: ReadinessCheck;
  /** Live state of a server's upstream connections (status, last error, stderr tail). */
  runtime?: ServerRuntime;
  /** Extra routers mounted after the API (the MCP endpoints, OAuth callback). */
  extraRouters?: readonly Router[];
}>;

export const BODY_LIMIT = '1mb';

/** The REST API as a Koa app; `app.callback()` serves it without a port in tests. */
export const createApp = (options: ApiOptions): Koa => {
  const app = new Koa({ proxy: false });
  app.silent = true;
  app.use(problemHandler);
  app.use(correlation);
  app.use(securityHeaders);

  const health = healthRoutes(options.readiness);
  app.use(health.routes());

  const api = new Router();
  api.use('/api', adminAuth(options.adminToken), requireJsonBody, bodyParser({
    enableTypes: ['json'],
    jsonLimit: BODY_LIMIT,
    encoding: 'utf-8',
    onError: (error) => {
      const status = (error as { status?: number }).status;
      if (status === 413) throw new ProblemError(413, 'PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB');
      throw new ProblemError(400, 'INVALID_JSON', 'The request body is not valid JSON');
    },
  }));
  for (const router of [serverRoutes(options.context, options.runtime), profileRoutes(options.context), keyRoutes(options.context), settingsRoutes(options.context), eventRoutes(options.context), importExportRoutes(options.context)]) {
    api.use(router.routes(), router.allowedMethods({ throw: true }));
  }
  app.use(api.routes());
  for (const router of options.extraRouters ?? []) app.use(router.routes());
  return app;
};
