import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Application } from '../../infrastructure/application';
import { authenticate } from './authenticate';
import { adminAuth, correlation, problemHandler, requireJsonBody, securityHeaders } from './middleware';
import { badRequest, ProblemError } from './problem';
import { AuthFailureLimiter, limitAuthFailures } from '../security/auth-failures';
import { LoginLockout } from '../security/login-lockout';
import { cors } from '../security/cors';
import { limitUrlLength, rejectUnsafeJson } from '../security/request-limits';
import { WriteGate } from '../security/write-gate';
import { healthRoutes, type ReadinessCheck } from './routes/health.routes';
import { diffRoutes } from './routes/diff.routes';
import { eventRoutes } from './routes/events.routes';
import { loginRoutes } from '../web/login.routes';
import { setupRoutes } from '../web/setup.routes';
import { importExportRoutes } from './routes/importexport.routes';
import { keyRoutes } from './routes/keys.routes';
import { personalAccessTokenRoutes, userTokenRoutes } from './routes/pat.routes';
import { sessionRoutes } from './routes/session.routes';
import { settingsRoutes } from './routes/settings.routes';
import { userRoutes } from './routes/users.routes';
import { profileRoutes } from './routes/profiles.routes';
import { serverRoutes, type DiscoverTools, type ServerOAuthSummary, type ServerRuntime } from './routes/servers.routes';
import type { OwnRefreshFailure, RevokeOwnGrant } from './routes/credentials.routes';

export type ApiOptions = Readonly<{
  app: Application;
  /** The token itself, or a function asked at every request (see adminTokenSource). */
  adminToken: string | (() => string);
  /** Failed-auth budget per client address (shared with the MCP endpoints); a default one otherwise. */
  authFailures?: AuthFailureLimiter;
  /** GATEHOUSE_CORS_ORIGINS; none: no CORS header is ever sent. */
  corsOrigins?: readonly string[];
  readiness: ReadinessCheck;
  /** Live state of a server's upstream connections (status, last error, stderr tail). */
  runtime?: ServerRuntime;
  /** Tool discovery on demand (POST /api/servers/:id/discover). */
  discoverTools?: DiscoverTools;
  /** A server's OAuth status for GET /api/servers/:id (see infrastructure/oauth). */
  oauthSummary?: ServerOAuthSummary;
  /** Revokes a user's own OAuth grant of a per-user server at its authorization server (DELETE /api/servers/:s/credentials). */
  revokeOwnGrant?: RevokeOwnGrant;
  /** A user's last failed refresh of their own grant (GET /api/servers/:s/credentials). */
  ownRefreshFailure?: OwnRefreshFailure;
  /** Routers outside /api (the MCP endpoints, the OAuth callback), mounted before the API's. */
  extraRouters?: readonly Router[];
  /** Extra routers under /api, behind the admin token (debug logs). */
  extraApiRouters?: readonly Router[];
  /** Routers outside /api that need the admin token (`/metrics`), given the same guards as /api. */
  adminRouters?: (guards: readonly Koa.Middleware[]) => readonly Router[];
  /** Password-guessing limits of sign-in (a default one otherwise). */
  loginLockout?: LoginLockout;
  /** Routers mounted after everything else (the web console), so that they never shadow an API or MCP path. */
  lastRouters?: readonly Router[];
  /** Admission control for writes (a default one otherwise). */
  writeGate?: WriteGate;
  /** Called first, before any middleware: the request log (which must see final statuses) and error listeners. */
  instrument?: (app: Koa) => void;
}>;

export const BODY_LIMIT = '1mb';

const isSignIn = (method: string, path: string): boolean => method === 'POST' && path === '/api/session';

/** The REST API as a Koa app; `app.callback()` serves it without a port in tests. */
export const createApp = (options: ApiOptions): Koa => {
  const app = new Koa({ proxy: false });
  app.silent = true;
  options.instrument?.(app);
  app.use(problemHandler);
  app.use(correlation);
  app.use(securityHeaders);
  app.use(limitUrlLength);
  if (options.corsOrigins && options.corsOrigins.length > 0) app.use(cors(options.corsOrigins));

  const health = healthRoutes(options.readiness);
  app.use(health.routes());

  // The MCP endpoints and the OAuth callback come before the API: an MCP request (the hot path)
  // is not matched against every REST route first.
  for (const router of options.extraRouters ?? []) app.use(router.routes());

  const loginLockout = options.loginLockout ?? new LoginLockout();
  app.use(loginRoutes(options.app, loginLockout).routes());
  app.use(setupRoutes(options.app).routes());

  // One failed-auth budget for every route behind the admin token.
  const authFailures = options.authFailures ?? new AuthFailureLimiter();
  const api = new Router();
  api.use('/api', limitAuthFailures(authFailures), authenticate({ app: options.app, adminToken: options.adminToken, anonymous: isSignIn }), (options.writeGate ?? new WriteGate()).middleware, requireJsonBody, bodyParser({
    enableTypes: ['json'],
    jsonLimit: BODY_LIMIT,
    encoding: 'utf-8',
    onError: (error) => {
      const status = (error as { status?: number }).status;
      if (status === 413) throw new ProblemError(413, 'PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB');
      // The parser (co-body's bourne) refuses "__proto__" keys itself: the same refusal as rejectUnsafeJson's.
      if (/forbidden prototype property/i.test((error as Error).message)) throw badRequest('The key "__proto__" is refused');
      throw new ProblemError(400, 'INVALID_JSON', 'The request body is not valid JSON');
    },
  }), rejectUnsafeJson);
  for (const router of [sessionRoutes(options.app, loginLockout), personalAccessTokenRoutes(options.app), userTokenRoutes(options.app), serverRoutes(options.app, options.runtime, options.oauthSummary, options.discoverTools, options.revokeOwnGrant, options.ownRefreshFailure), profileRoutes(options.app), keyRoutes(options.app), settingsRoutes(options.app), eventRoutes(options.app.store), diffRoutes(options.app), importExportRoutes(options.app), userRoutes(options.app)]) {
    api.use(router.routes(), router.allowedMethods({ throw: true }));
  }
  for (const router of options.extraApiRouters ?? []) api.use(router.routes(), router.allowedMethods({ throw: true }));
  app.use(api.routes());
  const adminGuards = [limitAuthFailures(authFailures), adminAuth(options.adminToken)];
  for (const router of options.adminRouters?.(adminGuards) ?? []) app.use(router.routes());
  for (const router of options.lastRouters ?? []) app.use(router.routes());
  return app;
};
