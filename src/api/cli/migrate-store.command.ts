import { loadConfig, type GatehouseConfig } from '../../infrastructure/config/config';
import { migrateStore, type StoreMigrationReport } from '../../infrastructure/store-migration';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError } from './cli-support';
import { refuseWhileServed } from './serving-guard';

const USAGE = `Usage: gatehouse migrate-store --to postgres://…
       gatehouse migrate-store --from postgres://…

Copies the store between the SQLite file (GATEHOUSE_DATA_DIR / GATEHOUSE_DATABASE) and a
PostgreSQL database: --to copies the SQLite file into the PostgreSQL database, --from copies
the PostgreSQL database into the SQLite file. The target must be empty. Stop every
\`gatehouse serve\` on either store first: it refuses to run (exit 1) while one serves,
and names it (as \`gatehouse rebuild\` does).

Copied as stored, in one transaction on the target, then compared row by row:
  events, streams     the event log (same positions)
  traffic_journal     the debug-log journal (same seqs)
  data_keys           secrets stay sealed under the same master key: keep
                      GATEHOUSE_SECRET_KEY or the data dir's key file
  user_sessions       browser sign-ins: people stay signed in
  oauth_server_records  what Gatehouse's authorization server issued: registered
                      clients, grants, access and refresh tokens keep working
  mcp_sessions        Streamable HTTP sessions: clients go on with their session id
  api_key_usage       when each API key was last used
Not copied, rebuilt on the target from the log and the journal, then compared with the
source's: every read model (servers, tools, profiles, profile_servers, profile_tools,
profile_slugs, api_keys, settings, oauth_client_registrations, oauth_tokens, users,
personal_access_tokens, user_credentials, resource_access), debug_logs and projection_checkpoints.
Not copied: setup_links (a store with no users prints a new setup link when served).
Not copied at all (in memory, per process): sign-ins and upstream OAuth authorizations in
progress, failed-login counters, legacy SSE sessions.

Options:
  --to <url>    the PostgreSQL database to fill from the SQLite file
  --from <url>  the PostgreSQL database to copy into the SQLite file
  -h, --help    show this help
`;

const POSTGRES_URL = /^postgres(ql)?:\/\/./i;

export const migrateStoreCommand: CliCommand = {
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
      const releases: Array<() => Promise<void>> = [];
      try {
        for (const store of [sqlite, postgres]) {
          const release = await refuseWhileServed('migrate-store', store);
          if (release === null) return 1;
          releases.push(release);
        }
        return printReport(values.to !== undefined ? await migrateStore(sqlite, postgres) : await migrateStore(postgres, sqlite));
      } finally {
        for (const release of releases) await release();
      }
    }),
};

const printReport = (report: StoreMigrationReport): number => {
  out(`copied ${report.from} → ${report.to}`);
  for (const [table, rows] of Object.entries(report.copied)) out(`  ${table}: ${rows} rows`);
  out(`head position ${report.headPosition} on both; read models rebuilt and equal: ${report.readModels.join(', ')}`);
  return 0;
};
