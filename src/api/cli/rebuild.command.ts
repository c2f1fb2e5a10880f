import { loadConfig } from '../../infrastructure/config/config';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';
import { refuseWhileServed } from './serving-guard';

const USAGE = `Usage: gatehouse rebuild

Drops every read model (servers, tools, profiles, profile servers and tools, API keys,
settings, OAuth clients and tokens) and replays the whole event log into them, in one
transaction; then drops the debug logs and projects them again from the traffic journal.
Prints how many events and journal records were replayed, how long it took, and whether any
read model differed from before (it should not: a difference means the read models had
drifted from their log).

It refuses to run (exit 1) while a \`gatehouse serve\` uses the store, and names each one: on
SQLite the processes on this machine that serve the file (by pid); on PostgreSQL every
instance on any machine that serves the database (each holds a shared advisory lock while it
runs; the lock goes with its connection, so a killed instance does not count). On PostgreSQL
the rebuild holds that lock itself meanwhile: an instance started then waits until it is done.

Options:
  -h, --help  show this help
`;

export const rebuildCommand: CliCommand = {
  run: (argv) =>
    runCommand('rebuild', USAGE, async () => {
      const { values, positionals } = parseCommandLine({ args: [...argv], options: { ...HELP_OPTION }, allowPositionals: true });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      const release = await refuseWhileServed('rebuild', loadConfig());
      if (release === null) return 1;
      try {
        const report = await withApplication((app) => app.maintenance.rebuild());
        out(`replayed ${report.events} event${report.events === 1 ? '' : 's'} into ${report.tables.join(', ')} in ${report.eventsMs.toFixed(1)} ms`);
        out(`replayed ${report.journalRecords} traffic journal record${report.journalRecords === 1 ? '' : 's'} into debug_logs in ${report.journalMs.toFixed(1)} ms`);
        out(report.changed.length === 0 ? 'read models identical to before the rebuild' : `read models that differed from the log (now rebuilt): ${report.changed.join(', ')}`);
        return 0;
      } finally {
        await release();
      }
    }),
};
