import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatehouseConfig } from '../infrastructure/config/config';
import { resolveAdminToken, type AdminToken } from '../infrastructure/config/admin-token';
import type { GatehouseContext } from '../infrastructure/commands/context';
import { openDatabase, type OpenedDatabase } from '../infrastructure/database';
import { McpGateway } from './mcp/mcp-gateway';
import { mcpRoutes } from './mcp/http-endpoints';
import { createApp } from './rest/app';
import type { Readiness } from './rest/routes/health.routes';

export type RunningGatehouse = Readonly<{
  url: string;
  port: number;
  adminToken: AdminToken;
  context: GatehouseContext;
  database: OpenedDatabase;
  http: Server;
  gateway: McpGateway;
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

export type StartOptions = Readonly<{ config: GatehouseConfig }>;

/** Opens the database, builds the app, and listens on the configured host and port. */
export const startGatehouse = async ({ config }: StartOptions): Promise<RunningGatehouse> => {
  const database = await openDatabase({ database: config.database, dataDir: config.dataDir, secretKey: config.secretKey });
  const adminToken = resolveAdminToken(config.dataDir, config.adminToken);
  const context: GatehouseContext = { store: database.store, sql: database.sql, dataSource: database.dataSource, secrets: database.secrets };
  const gateway = await McpGateway.create({ context });
  // Changes made by the CLI (another process on the same database) reach the proxy too.
  await gateway.followLog();
  const mcp = mcpRoutes({ context, gateway, bindHost: config.host, publicUrl: config.publicUrl });
  const app = createApp({ context, adminToken: adminToken.token, readiness: () => checkReadiness(database), runtime: (serverId) => gateway.pool.health(serverId), extraRouters: [mcp] });
  const http = createServer(app.callback());
  http.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      await gateway.close();
      http.closeAllConnections();
      await closed;
      await database.close();
    })();
    return closing;
  };
  return { url: `http://${host}:${port}`, port, adminToken, context, database, http, gateway, close };
};
