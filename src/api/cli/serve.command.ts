import { loadConfig } from '../../infrastructure/config/config';
import { startGatehouse } from '../gatehouse';
import type { CliCommand } from './commands';

export const serveCommand: CliCommand = {
  summary: 'run the gateway: REST API and MCP endpoints (what `npm start` runs)',
  run: async () => {
    const config = loadConfig();
    const gatehouse = await startGatehouse({ config });
    const log = (message: string, fields: Record<string, unknown> = {}): void => {
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: message, ...fields })}\n`);
    };
    log('gatehouse listening', { url: gatehouse.url, database: config.database });
    if (gatehouse.adminToken.source === 'file') {
      log(gatehouse.adminToken.created ? 'admin token created' : 'admin token loaded', { path: gatehouse.adminToken.path });
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log('shutting down', { signal });
        void gatehouse.close().then(resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};
