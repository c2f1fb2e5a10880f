import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createDataSource } from '../../../ormconfig';
import { loadConfig } from '../../infrastructure/config/config';
import type { CliCommand } from './commands';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError } from './cli-support';

const USAGE = `Usage: gatehouse migrate

Applies the pending database migrations (each in its own transaction) and prints which ones
ran. \`serve\` and the other commands apply them too; run this to upgrade a database
explicitly, for example before starting a new version.

Options:
  -h, --help  show this help
`;

export const migrateCommand: CliCommand = {
  summary: 'apply pending database migrations and print which ran',
  run: (argv) =>
    runCommand('migrate', USAGE, async () => {
      const { values, positionals } = parseCommandLine({ args: [...argv], options: { ...HELP_OPTION }, allowPositionals: true });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      const { database } = loadConfig();
      // Only the schema: no keyring or event store, which need the tables this creates.
      if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true, mode: 0o700 });
      const dataSource = createDataSource(database);
      await dataSource.initialize();
      try {
        const applied = await dataSource.runMigrations({ transaction: 'each' });
        out(`database: ${database}`);
        out(applied.length === 0 ? 'no pending migrations' : applied.map((migration) => `applied ${migration.name}`).join('\n'));
      } finally {
        await dataSource.destroy();
      }
      return 0;
    }),
};
