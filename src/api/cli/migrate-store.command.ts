import { loadConfig, type GatehouseConfig } from '../../infrastructure/config/config';
import { migrateStore } from '../../infrastructure/store-migration';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError } from './cli-support';

const USAGE = `Usage: gatehouse migrate-store --to postgres://…
       gatehouse migrate-store --from postgres://…

Copies the configuration store between the SQLite file (GATEHOUSE_DATA_DIR /
GATEHOUSE_DATABASE) and a PostgreSQL database: --to copies the SQLite file into the
PostgreSQL database, --from copies the PostgreSQL database into the SQLite file. The target
must be empty. The event log, the traffic journal and the data keys are copied as stored
(same positions; secrets stay sealed under the same master key, so keep GATEHOUSE_SECRET_KEY
or the data dir's key file); every read model is then rebuilt on the target and compared
with the source's. Stop every \`gatehouse serve\` on either store first.

Options:
  --to <url>    the PostgreSQL database to fill from the SQLite file
  --from <url>  the PostgreSQL database to copy into the SQLite file
  -h, --help    show this help
`;

const POSTGRES_URL = /^postgres(ql)?:\/\/./i;

export const migrateStoreCommand: CliCommand = {
  summary: 'copy the store between the SQLite file and PostgreSQL (--to / --from postgres://…)',
  run: (argv) =>
    runCommand('migrate-store', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, to: { type: 'string' }, from: { type: 'string' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      if ((values.to === undefined) === (values.from === undefined)) throw new UsageError('give either --to or --from');
      const url = (values.to ?? values.from) as string;
      if (!POSTGRES_URL.test(url)) throw new UsageError(`${values.to === undefined ? '--from' : '--to'} must be a postgres:// URL`);
      const config = loadConfig();
      const sqlite: GatehouseConfig = { ...config, databaseUrl: null };
      const postgres: GatehouseConfig = { ...config, databaseUrl: url };
      const report = values.to !== undefined ? await migrateStore(sqlite, postgres) : await migrateStore(postgres, sqlite);
      out(`copied ${report.from} → ${report.to}`);
      for (const [table, rows] of Object.entries(report.copied)) out(`  ${table}: ${rows} rows`);
      out(`head position ${report.headPosition} on both; read models rebuilt and equal: ${report.readModels.join(', ')}`);
      return 0;
    }),
};
