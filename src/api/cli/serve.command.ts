import { databaseLocation } from '../../infrastructure/config/database-url';
import { loadConfig } from '../../infrastructure/config/config';
import { markServing } from '../../infrastructure/persistence/serving-marker';
import { stdoutDestination } from '../../infrastructure/telemetry';
import { startGatehouse } from '../gatehouse';
import { watchExposure } from '../security/exposure-warning';
import type { CliCommand } from './cli-command';

export const serveCommand: CliCommand = {
  summary: 'run the gateway: REST API and MCP endpoints (what `npm start` runs)',
  run: async () => {
    const config = loadConfig();
    const gatehouse = await startGatehouse({ config, logDestination: stdoutDestination() });
    const log = (message: string, fields: Record<string, unknown> = {}): void => gatehouse.observability.logger.info(fields, message);
    log('gatehouse listening', { url: gatehouse.url, database: databaseLocation(config) });
    // So that `gatehouse rebuild` refuses to run under this server.
    const unmark = config.databaseUrl === null ? markServing(config.database) : () => undefined;
    if (gatehouse.adminToken.source === 'file') {
      log(gatehouse.adminToken.created ? 'admin token created' : 'admin token loaded', { path: gatehouse.adminToken.path });
    }
    const stopExposureWatch = watchExposure(
      { openSlugs: () => gatehouse.app.queries.profiles.openSlugs(), events$: gatehouse.gateway.follower.events$ },
      config.host,
      (message, fields) => gatehouse.observability.logger.warn(fields, message),
    );
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log('shutting down', { signal });
        stopExposureWatch();
        void gatehouse.close().finally(unmark).then(resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};
