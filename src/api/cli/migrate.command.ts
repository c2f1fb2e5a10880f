import { databaseLocation } from '../../infrastructure/config/database-url';
import { migrateDatabase } from '../../infrastructure/application';
import { loadConfig } from '../../infrastructure/config/config';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError } from './cli-support';

const USAGE = `Usage: gatehouse migrate

Applies the pending database migrations (on SQLite in one transaction, on PostgreSQL each in its
own, under a lock other processes wait for) and prints which ones ran. \`serve\` and the other
commands apply them too; run this to upgrade a database explicitly, for example before starting
a new version.

Options:
  -h, --help  show this help
`;

export const migrateCommand: CliCommand = {
  run: (argv) =>
    runCommand('migrate', USAGE, async () => {
      const { values, positionals } = parseCommandLine({ args: [...argv], options: { ...HELP_OPTION }, allowPositionals: true });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      const config = loadConfig();
      const applied = await migrateDatabase(config);
      out(`database: ${databaseLocation(config)}`);
      out(applied.length === 0 ? 'no pending migrations' : applied.map((name) => `applied ${name}`).join('\n'));
      return 0;
    }),
};
