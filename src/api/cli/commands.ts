import { exportCommand } from './export.command';
import { historyCommand } from './history.command';
import { importCommand } from './import.command';
import { keysCommand } from './keys.command';
import { migrateCommand } from './migrate.command';
import { rebuildCommand } from './rebuild.command';
import { serveCommand } from './serve.command';
import { stdioCommand } from './stdio.command';

export type CliCommand = Readonly<{
  summary: string;
  run: (argv: readonly string[]) => Promise<number>;
}>;

export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  serve: serveCommand,
  stdio: stdioCommand,
  import: importCommand,
  export: exportCommand,
  history: historyCommand,
  rebuild: rebuildCommand,
  keys: keysCommand,
  migrate: migrateCommand,
};

export const usage = (): string =>
  [
    'Usage: gatehouse <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`),
    '',
    'Environment: GATEHOUSE_DATA_DIR, GATEHOUSE_DATABASE, GATEHOUSE_HOST, GATEHOUSE_PORT,',
    '             GATEHOUSE_ADMIN_TOKEN, GATEHOUSE_SECRET_KEY, GATEHOUSE_PUBLIC_URL, GATEHOUSE_LOG_LEVEL',
    '',
  ].join('\n');
