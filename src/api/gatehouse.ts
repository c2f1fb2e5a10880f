import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import { openApplication, type Application } from '../infrastructure/application';
import { startGateway, type Gateway } from '../infrastructure/gateway';
import { resolveAdminToken, type AdminToken } from '../infrastructure/config/admin-token';
import { adminTokenSource } from '../infrastructure/config/admin-token-file';
import { ConfigError, type GatehouseConfig } from '../infrastructure/config/config';
import { assertLogLevel } from '../infrastructure/telemetry';
import type { Observability } from '../infrastructure/telemetry/observability';
import { consoleRoutes } from './console/console.routes';
import { mcpEndpoints } from './mcp/http-endpoints';
import { mcpOAuth } from './oauth-server/mcp-bearer';
import { authorizationServerRoutes } from './oauth-server/authorization-server.routes';
import { ADMIN_ACCOUNT, oauthSlugsFor } from './oauth-server/oauth-profiles';
import { signedInPerson, signInUrl } from './security/session-auth';
import { checkAccessToken } from '../infrastructure/oauth-server/access-tokens';
import { createAuthorizationServer } from '../infrastructure/oauth-server/authorization-server';
import type { OidcProvider } from '../infrastructure/oauth-server/oidc-provider-types';
import { protectedResourceRoutes } from './oauth-server/protected-resource.routes';
import { openApiRoutes } from './openapi/openapi.routes';
import { serveLiveness } from './rest/routes/health.routes';
import { createApp } from './rest/app';
import { logAppError, logUnhandled, requestLog } from './rest/request-log';
import { logRoutes } from './rest/routes/logs.routes';
import { metricsRoutes } from './rest/routes/metrics.routes';
import { oauthCallbackRoutes, oauthRoutes } from './rest/routes/oauth.routes';
import { AuthFailureLimiter, DEFAULT_AUTH_FAILURE_LIMITS } from './security/auth-failures';
import { CONNECTIONS_CHECK_MS, hardenHttpServer, HEADERS_TIMEOUT_MS, MAX_HEADER_BYTES } from './security/request-limits';
import { closeInOrder } from '../infrastructure/teardown';

export type RunningGatehouse = Readonly<{
  url: string;
  port: number;
  adminToken: AdminToken;
  app: Application;
  gateway: Gateway;
  http: Server;
  /** Structured log, metrics, traffic journal and debug logs. */
  observability: Observability;
  close: () => Promise<void>;
}>;

/** How long a grant (and its rotating refresh token) lives without being used. */
const REFRESH_TOKEN_TTL_SECONDS = 14 * 24 * 3600;

/** Why the server could not listen, and which setting changes that. */
const listenError = (error: NodeJS.ErrnoException, host: string, port: number): Error => {
  const where = `${host}:${port}`;
  if (error.code === 'EADDRINUSE') return new ConfigError(`${where} is already in use (another gatehouse?): stop what uses it, or choose another port with GATEHOUSE_PORT`);
  if (error.code === 'EACCES') return new ConfigError(`not allowed to listen on ${where}: choose a port above 1023 with GATEHOUSE_PORT`);
  if (error.code === 'EADDRNOTAVAIL') return new ConfigError(`${host} is not an address of this machine: set GATEHOUSE_HOST to one (127.0.0.1 by default)`);
  return error;
};

export type StartOptions = Readonly<{
  config: GatehouseConfig;
  /** Where JSON log lines go (`serve`: stdout); without one nothing is logged. */
  logDestination?: DestinationStream;
}>;

/** The application, its live gateway, and the HTTP server (REST API and MCP endpoints) on the configured host and port. */
export const startGatehouse = async ({ config, logDestination }: StartOptions): Promise<RunningGatehouse> => {
  assertLogLevel(config.logLevel); // before anything is opened that a bad setting would leave open
  const app = await openApplication(config);
  let gateway: Gateway | undefined;
  try {
    const adminToken = resolveAdminToken(config.dataDir, config.adminToken);
    // The OAuth redirect URI uses GATEHOUSE_PUBLIC_URL; with port 0 ("any free port") the bound address once known.
    let publicUrl = config.publicUrl;
    gateway = await startGateway(app, { logDestination, adminToken: adminTokenSource(adminToken), publicUrl: () => publicUrl });
    // This process keeps OAuth grants fresh in the background (`gatehouse stdio` refreshes on use only).
    await gateway.startBackground();
    const { observability, oauth } = gateway;
    // One failed-auth budget per client address for the REST API and the MCP endpoints together.
    const authFailures = new AuthFailureLimiter({ ...DEFAULT_AUTH_FAILURE_LIMITS, maxFailures: config.authFailuresPerMinute });
    const security = { authFailures, corsOrigins: config.corsOrigins };
    const { logger } = observability;
    for (const file of app.looseFiles) logger.warn({ file }, 'the database file can be read by other users than its owner: chmod 600 it');
    // Gatehouse as the authorization server of its own endpoints; the provider is made when first asked for.
    const records = app.oauthServerRecords;
    // A person's token stops working once they are disabled or the profile is no longer theirs to
    // use (checked on every request, as their sessions are).
    const ownOAuth = mcpOAuth(() => publicUrl, async (token, resource) => {
      const check = await checkAccessToken(records, token, resource);
      if (check.status !== 'valid' || check.accountId === ADMIN_ACCOUNT) return check;
      return (await oauthSlugsFor(app.queries, check.accountId)).some((slug) => ownOAuth.resourceUrl(slug) === resource) ? check : { status: 'invalid' };
    });
    let authorizationServer: OidcProvider | undefined;
    const oauthServer = authorizationServerRoutes({
      provider: () =>
        (authorizationServer ??= createAuthorizationServer({
          issuer: publicUrl,
          records,
          secrets: app.secrets,
          isProfileResource: async (resource) => (await app.queries.profiles.oauthProfiles()).some(({ slug }) => ownOAuth.resourceUrl(slug) === resource),
          accessTokenTtlSeconds: config.oauthAccessTokenTtlSeconds,
          refreshTokenTtlSeconds: REFRESH_TOKEN_TTL_SECONDS,
          clientMetadataDocuments: config.oauthClientMetadata,
        })),
      adminToken: adminTokenSource(adminToken),
      oauthSlugs: (accountId) => oauthSlugsFor(app.queries, accountId),
      resourceUrl: ownOAuth.resourceUrl,
      signedIn: async (ctx) => {
        const person = await signedInPerson(app, ctx);
        return person === null ? null : { accountId: person.principal.userId, name: person.principal.name, csrfToken: person.csrfToken };
      },
      signInUrl,
    });
    const mcp = mcpEndpoints({
      gateway,
      oauth: ownOAuth,
      bindHost: config.host,
      publicUrl: config.publicUrl,
      ...security,
      // As the request log logs MCP traffic (debug: it has its own records), and as Koa logs errors.
      onServed: logger.isLevelEnabled('debug') ? (fields) => logger.debug(fields, 'request') : undefined,
      onError: (error, fields, connectionClosed) => logUnhandled(logger, error, fields, connectionClosed),
    });
    const logs = logRoutes({ queries: app.queries.debugLogs, rows$: observability.projection.rows$, deleteBefore: (before) => observability.deleteLogsBefore(before) });
    const koa = createApp({
      app,
      adminToken: adminTokenSource(adminToken),
      ...security,
      readiness: async () => observability.readiness(await app.maintenance.readiness()),
      runtime: (serverId) => gateway?.pool.health(serverId) ?? [],
      oauthSummary: (serverId) => oauth.summary(serverId),
      revokeOwnGrant: (serverId, userId, context) => oauth.revokeOwn(serverId, userId, context),
      ownRefreshFailure: (serverId, userId) => oauth.tokens.refreshFailureOf(serverId, userId),
      discoverTools: (serverId, deadlineMs) => live.discoverTools(serverId, deadlineMs),
      extraRouters: [oauthServer, protectedResourceRoutes({ profiles: gateway.profiles, issuer: () => publicUrl, resourceUrl: ownOAuth.resourceUrl }), mcp.router, openApiRoutes({ gateway, authFailures }), oauthCallbackRoutes(oauth, async (ctx) => (await signedInPerson(app, ctx))?.principal.userId ?? null)],
      extraApiRouters: [logs, oauthRoutes(app, oauth)],
      adminRouters: (guards) => [metricsRoutes(observability.metrics, guards)],
      lastRouters: [consoleRoutes()],
      // Outermost, so the request log sees the status the problem handler settles on.
      instrument: (koaApp) => {
        koaApp.use(requestLog(logger));
        koaApp.on('error', logAppError(logger));
      },
    }).callback();
    // The liveness probe and the MCP endpoint (the hot path) are served before Koa; everything else by Koa.
    // A client has HEADERS_TIMEOUT_MS for its headers and the configured time for the whole
    // request; Node checks every CONNECTIONS_CHECK_MS. Responses (SSE included) are not bounded.
    const http = createServer({ maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: CONNECTIONS_CHECK_MS }, (req, res) => {
      if (!serveLiveness(req, res) && !mcp.serve(req, res)) void koa(req, res);
    });
    hardenHttpServer(http);
    http.requestTimeout = config.httpRequestTimeoutMs;
    http.headersTimeout = Math.min(HEADERS_TIMEOUT_MS, config.httpRequestTimeoutMs);
    await new Promise<void>((resolve, reject) => {
      http.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, config.host, config.port)));
      http.listen(config.port, config.host, () => resolve());
    });
    const port = (http.address() as AddressInfo).port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    if (new URL(config.publicUrl).port === '0') publicUrl = `http://${host}:${port}`;
    const live = gateway;
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        // Each step whatever the one before did: a gateway that fails to close must not leave
        // client connections open (they would keep the process alive) or the database open.
        await closeInOrder([
          () => live.close(),
          () => {
            http.closeAllConnections();
            return closed;
          },
          () => app.close(),
        ]);
      })();
      return closing;
    };
    return { url: `http://${host}:${port}`, port, adminToken, app, gateway, http, observability, close };
  } catch (error) {
    await closeInOrder([() => gateway?.close(), () => app.close()]);
    throw error;
  }
};
