import { databaseLocation } from '../../infrastructure/config/database-url';
import { loadConfig } from '../../infrastructure/config/config';
import { holdServingLock } from '../../infrastructure/persistence/postgres-serving';
import { markServing } from '../../infrastructure/persistence/serving-marker';
import { stdoutDestination } from '../../infrastructure/telemetry';
import { startGatehouse, type RunningGatehouse } from '../gatehouse';
import { watchExposure } from '../security/exposure-warning';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError } from './cli-support';

/**
 * While nobody has an account, one log line for the operator with a one-time link that creates the
 * owner (`gatehouse users create <name> --role owner` is the alternative). The token is in this
 * line only: it is stored hashed, and requests are logged by path, without the query.
 */
const printSetupLink = async (gatehouse: RunningGatehouse, publicUrl: string, log: (message: string, fields?: Record<string, unknown>) => void): Promise<void> => {
  if ((await gatehouse.app.queries.users.count()) > 0) return;
  const { token, expiresAt } = await gatehouse.app.setupLinks.issue();
  const base = new URL(publicUrl).port === '0' ? gatehouse.url : publicUrl;
  log('nobody has an account yet: open the setup link to create the owner (it works once, until expiresAt), or run `gatehouse users create <name> --role owner`', {
    setupUrl: `${base}/setup?token=${token}`,
    expiresAt,
  });
};

const USAGE = `Usage: gatehouse serve

Runs the gateway: the REST API, the web console and the MCP endpoints of every profile, on
GATEHOUSE_HOST:GATEHOUSE_PORT (127.0.0.1:7300 unless set). Configured by environment variables
only (see \`gatehouse help\` and the README's Configuration); stops on SIGINT or SIGTERM.

Options:
  -h, --help  show this help
`;

export const serveCommand: CliCommand = {
  run: async (argv) => {
    // Checked before anything starts: `serve --help` must not serve.
    let serve = false;
    const code = await runCommand('serve', USAGE, async () => {
      const { values, positionals } = parseCommandLine({ args: [...argv], options: { ...HELP_OPTION }, allowPositionals: true });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      serve = true;
      return 0;
    });
    if (!serve) return code;
    const config = loadConfig();
    const gatehouse = await startGatehouse({ config, logDestination: stdoutDestination() });
    const log = (message: string, fields: Record<string, unknown> = {}): void => gatehouse.observability.logger.info(fields, message);
    // So that `gatehouse rebuild` refuses to run under this server.
    let unmark: () => unknown;
    try {
      unmark =
        config.databaseUrl === null
          ? markServing(config.database)
          : await holdServingLock(config.databaseUrl, (error) => gatehouse.observability.logger.warn({ err: error }, 'the serving mark on PostgreSQL was lost; taking it again'));
    } catch (error) {
      // Not serving after all: what started is stopped before the error is reported.
      await gatehouse.close().catch((closeError: unknown) => gatehouse.observability.logger.error({ err: closeError }, 'shutdown did not complete cleanly'));
      throw error;
    }
    if (gatehouse.adminToken.source === 'file') {
      log(gatehouse.adminToken.created ? 'admin token created' : 'admin token loaded', { path: gatehouse.adminToken.path });
    }
    await printSetupLink(gatehouse, config.publicUrl, log).catch((error: unknown) => gatehouse.observability.logger.warn({ error: String(error) }, 'could not make a setup link; create the owner with `gatehouse users create <name> --role owner`'));
    // Last of the startup lines: whoever waits for it (scripts, tests) has seen the others.
    log('gatehouse listening', { url: gatehouse.url, database: databaseLocation(config) });
    const stopExposureWatch = watchExposure(
      { openSlugs: () => gatehouse.app.queries.profiles.openSlugs(), events$: gatehouse.gateway.follower.events$ },
      config.host,
      (message, fields) => gatehouse.observability.logger.warn(fields, message),
    );
    return await new Promise<number>((resolve) => {
      const stop = (signal: string): void => {
        log('shutting down', { signal });
        stopExposureWatch();
        void gatehouse
          .close()
          .then(
            () => 0,
            (error: unknown) => {
              gatehouse.observability.logger.error({ err: error }, 'shutdown did not complete cleanly');
              return 1;
            },
          )
          .then(async (code) => {
            try {
              await unmark();
            } catch (error) {
              gatehouse.observability.logger.warn({ err: error }, 'the serving mark was not removed');
            }
            resolve(code);
          });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  },
};
