import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import type { GatehouseConfig } from '../infrastructure/config/config';
import { resolveAdminToken, type AdminToken } from '../infrastructure/config/admin-token';
import type { GatehouseContext } from '../infrastructure/commands/context';
import { openDatabase, type OpenedDatabase } from '../infrastructure/database';
import { McpGateway } from './mcp/mcp-gateway';
import { mcpRoutes } from './mcp/http-endpoints';
import { OAuthService } from '../infrastructure/oauth';
import { oauthCallbackRoutes, oauthRoutes } from './rest/routes/oauth.routes';
import { assertLogLevel } from '../infrastructure/telemetry';
import { Observability } from './observability';
import { createApp } from './rest/app';
import { adminTokenSource } from '../infrastructure/config/admin-token-file';
import { AuthFailureLimiter, DEFAULT_AUTH_FAILURE_LIMITS } from './security/auth-failures';
import { hardenHttpServer, MAX_HEADER_BYTES } from './security/request-limits';
import type { Readiness } from './rest/routes/health.routes';

export type RunningGatehouse = Readonly<{
  url: string;
  port: number;
  adminToken: AdminToken;
  context: GatehouseContext;
  database: OpenedDatabase;
  http: Server;
  gateway: McpGateway;
  /** Structured log, metrics, traffic journal and debug logs. */
  observability: Observability;
  close: () => Promise<void>;
}>;

/** Writable and migrated: a write in a transaction that is rolled back proves the first. */
const checkReadiness = async (database: OpenedDatabase): Promise<Readiness> => {
  try {
    if (await database.dataSource.showMigrations()) return { ready: false, reason: 'migrations pending' };
    database.sql.db.transaction(() => {
      database.sql.run('INSERT INTO projection_checkpoints (name, position, updated_at) VALUES (?, 0, ?) ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at', '__readyz', new Date().toISOString());
      throw new RollbackProbe();
    }).call(null);
    return { ready: true };
  } catch (error) {
    if (error instanceof RollbackProbe) return { ready: true };
    return { ready: false, reason: `database not writable: ${(error as Error).message}` };
  }
};

class RollbackProbe extends Error {}

export type StartOptions = Readonly<{
  config: GatehouseConfig;
  /** Where JSON log lines go (`serve`: stdout); without one nothing is logged. */
  logDestination?: DestinationStream;
}>;

/** Opens the database, builds the app, and listens on the configured host and port. */
export const startGatehouse = async ({ config, logDestination }: StartOptions): Promise<RunningGatehouse> => {
  assertLogLevel(config.logLevel); // before anything is opened that a bad setting would leave open
  const database = await openDatabase({ database: config.database, dataDir: config.dataDir, secretKey: config.secretKey });
  const adminToken = resolveAdminToken(config.dataDir, config.adminToken);
  const context: GatehouseContext = { store: database.store, sql: database.sql, dataSource: database.dataSource, secrets: database.secrets };
  const observability = new Observability({ database, adminToken: adminTokenSource(adminToken), logLevel: config.logLevel, logDestination });
  // The OAuth redirect URI uses GATEHOUSE_PUBLIC_URL; with port 0 ("any free port") the bound address once known.
  let publicUrl = config.publicUrl;
  const oauth = new OAuthService({ context, publicUrl: () => publicUrl, log: observability.gatewayLog });
  const gateway = await McpGateway.create({ context, traffic: observability.traffic, log: observability.gatewayLog, tokens: oauth.tokens });
  observability.observe(gateway);
  // This process keeps OAuth grants fresh in the background (`gatehouse stdio` refreshes on use only).
  const stopOAuthRefresh = oauth.tokens.startBackgroundRefresh();
  // Changes made by the CLI (another process on the same database) reach the proxy too.
  await gateway.followLog();
  // One failed-auth budget per client address for the REST API and the MCP endpoints together.
  const authFailures = new AuthFailureLimiter({ ...DEFAULT_AUTH_FAILURE_LIMITS, maxFailures: config.authFailuresPerMinute });
  const security = { authFailures, corsOrigins: config.corsOrigins };
  const mcp = mcpRoutes({ context, gateway, bindHost: config.host, publicUrl: config.publicUrl, ...security });
  const app = createApp({ context, adminToken: adminTokenSource(adminToken), ...security, readiness: async () => observability.readiness(await checkReadiness(database)), runtime: (serverId) => gateway.pool.health(serverId), extraRouters: [mcp, oauthCallbackRoutes(oauth)], ...observability.appOptions,
    extraApiRouters: [...(observability.appOptions.extraApiRouters ?? []), oauthRoutes(context, oauth)], oauthSummary: (serverId) => oauth.summary(serverId) });
  const http = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app.callback());
  hardenHttpServer(http);
  http.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  if (new URL(config.publicUrl).port === '0') publicUrl = `http://${host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopOAuthRefresh();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      await gateway.close();
      http.closeAllConnections();
      await closed;
      await observability.close();
      await database.close();
    })();
    return closing;
  };
  return { url: `http://${host}:${port}`, port, adminToken, context, database, http, gateway, observability, close };
};
