import { adminTokenCommand } from './admin-token.command';
import { connectCommand } from './connect.command';
import { exportCommand } from './export.command';
import { historyCommand } from './history.command';
import { importCommand } from './import.command';
import { keysCommand } from './keys.command';
import { toolsCommand } from './tools.command';
import { usersCommand } from './users.command';
import { logsCommand } from './logs.command';
import { migrateCommand } from './migrate.command';
import { migrateStoreCommand } from './migrate-store.command';
import { rebuildCommand } from './rebuild.command';
import { secretsCommand } from './secrets.command';
import { serveCommand } from './serve.command';
import { stdioCommand } from './stdio.command';
import type { CliCommand } from './cli-command';


export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  serve: serveCommand,
  stdio: stdioCommand,
  import: importCommand,
  export: exportCommand,
  history: historyCommand,
  rebuild: rebuildCommand,
  keys: keysCommand,
  users: usersCommand,
  tools: toolsCommand,
  connect: connectCommand,
  migrate: migrateCommand,
  'migrate-store': migrateStoreCommand,
  'admin-token': adminTokenCommand,
  secrets: secretsCommand,
  logs: logsCommand,
};

export const usage = (): string =>
  [
    'Usage: gatehouse <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(12)} ${command.summary}`),
    '',
    'Environment: GATEHOUSE_DATA_DIR, GATEHOUSE_DATABASE, GATEHOUSE_DATABASE_URL, GATEHOUSE_HOST, GATEHOUSE_PORT,',
    '             GATEHOUSE_ADMIN_TOKEN, GATEHOUSE_SECRET_KEY, GATEHOUSE_PUBLIC_URL, GATEHOUSE_LOG_LEVEL,',
    '             GATEHOUSE_CORS_ORIGINS, GATEHOUSE_AUTH_FAILURES_PER_MINUTE, GATEHOUSE_HTTP_REQUEST_TIMEOUT_MS',
    '',
  ].join('\n');
