import { createHash } from 'node:crypto';
import type { Sql } from '../../infrastructure/eventstore';
import { CONFIGURATION_PROJECTIONS } from '../../infrastructure/projections';
import { DebugLogProjection } from '../../infrastructure/telemetry/debug-log-projection';
import type { CliCommand } from './commands';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withDatabase } from './cli-support';

const USAGE = `Usage: gatehouse rebuild

Drops every read model (servers, tools, profiles, profile servers and tools, API keys,
settings) and replays the whole event log into them, in one transaction; then drops the
debug logs and projects them again from the traffic journal. Prints how many events and
journal records were replayed, how long it took, and whether any read model differed from
before (it should not: a difference means the read models had drifted from their log).
Run it while no \`gatehouse serve\` uses the data directory.

Options:
  -h, --help  show this help
`;

const TABLES = CONFIGURATION_PROJECTIONS.flatMap((projection) => projection.tables);

/** A digest of a table's rows in a fixed order, to tell whether the replay changed anything. */
const tableDigest = (sql: Sql, table: string): string => {
  const rows = sql.all<Record<string, unknown>>(`SELECT * FROM ${table}`).map((row) => JSON.stringify(row)).sort();
  return createHash('sha256').update(rows.join('\n')).digest('hex');
};

/** The same for debug_logs, row by row in id order (it can be far larger than the configuration). */
const debugLogsDigest = (sql: Sql): string => {
  const hash = createHash('sha256');
  for (const row of sql.db.prepare('SELECT * FROM debug_logs ORDER BY id').iterate()) hash.update(`${JSON.stringify(row)}\n`);
  return hash.digest('hex');
};

const digests = (sql: Sql): Map<string, string> =>
  new Map([...TABLES.map((table): [string, string] => [table, tableDigest(sql, table)]), ['debug_logs', debugLogsDigest(sql)]]);

export const rebuildCommand: CliCommand = {
  summary: 'drop every read model and replay the event log into it',
  run: (argv) =>
    runCommand('rebuild', USAGE, async () => {
      const { values, positionals } = parseCommandLine({ args: [...argv], options: { ...HELP_OPTION }, allowPositionals: true });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      await withDatabase(async (ctx) => {
        const before = digests(ctx.sql);
        const started = process.hrtime.bigint();
        const replayed = ctx.store.rebuild();
        const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
        const journalStarted = process.hrtime.bigint();
        const debugLogs = new DebugLogProjection(ctx.sql);
        const projected = debugLogs.rebuild();
        debugLogs.close();
        if (debugLogs.lastError !== null) throw new Error(`debug logs could not be rebuilt: ${debugLogs.lastError}`);
        const journalMs = Number(process.hrtime.bigint() - journalStarted) / 1e6;
        const changed = [...digests(ctx.sql)].filter(([table, digest]) => before.get(table) !== digest).map(([table]) => table);
        out(`replayed ${replayed} event${replayed === 1 ? '' : 's'} into ${TABLES.join(', ')} in ${elapsedMs.toFixed(1)} ms`);
        out(`replayed ${projected} traffic journal record${projected === 1 ? '' : 's'} into debug_logs in ${journalMs.toFixed(1)} ms`);
        out(changed.length === 0 ? 'read models identical to before the rebuild' : `read models that differed from the log (now rebuilt): ${changed.join(', ')}`);
      });
      return 0;
    }),
};
