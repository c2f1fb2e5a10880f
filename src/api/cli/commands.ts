import type { CliCommand } from './cli-command';

/** A command as the registry knows it: its one-line summary, and its module, loaded when it runs. */
export type CommandEntry = Readonly<{ summary: string; load: () => Promise<CliCommand> }>;

/**
 * Every `gatehouse <command>`. A command's module is required only when that command runs, so
 * that `gatehouse --help` or `gatehouse keys list` does not load the REST API, the MCP SDK or the
 * gateway (about half a second of every CLI start).
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  serve: {
    summary: 'run the gateway: REST API and MCP endpoints (what `npm start` runs)',
    load: async () => (await import('./serve.command')).serveCommand,
  },
  stdio: {
    summary: 'serve one profile over stdio (for clients that spawn processes)',
    load: async () => (await import('./stdio.command')).stdioCommand,
  },
  import: {
    summary: 'import servers (and profiles) from a Claude Desktop style JSON file',
    load: async () => (await import('./import.command')).importCommand,
  },
  export: {
    summary: 'write the configuration (or, --format events, the event log) as JSON',
    load: async () => (await import('./export.command')).exportCommand,
  },
  history: {
    summary: 'show the event log as a table (filter by stream, type, position)',
    load: async () => (await import('./history.command')).historyCommand,
  },
  rebuild: {
    summary: 'drop every read model and replay the event log into it',
    load: async () => (await import('./rebuild.command')).rebuildCommand,
  },
  keys: {
    summary: 'create, list and revoke API keys',
    load: async () => (await import('./keys.command')).keysCommand,
  },
  users: {
    summary: 'create, list, disable and enable users; change their role or password; their personal access tokens',
    load: async () => (await import('./users.command')).usersCommand,
  },
  tools: {
    summary: 'show and approve pinned tool definitions that changed',
    load: async () => (await import('./tools.command')).toolsCommand,
  },
  connect: {
    summary: 'print a ready client configuration for a profile (Claude Desktop, Cursor, VS Code, Inspector)',
    load: async () => (await import('./connect.command')).connectCommand,
  },
  migrate: {
    summary: 'apply pending database migrations and print which ran',
    load: async () => (await import('./migrate.command')).migrateCommand,
  },
  'migrate-store': {
    summary: 'copy the store between the SQLite file and PostgreSQL (--to / --from postgres://…)',
    load: async () => (await import('./migrate-store.command')).migrateStoreCommand,
  },
  'admin-token': {
    summary: 'rotate the admin token of the REST API (rotate)',
    load: async () => (await import('./admin-token.command')).adminTokenCommand,
  },
  secrets: {
    summary: 'rotate the master key of the encrypted secrets (rotate-key)',
    load: async () => (await import('./secrets.command')).secretsCommand,
  },
  logs: {
    summary: 'show or follow the debug logs (traffic of profiles with debugLogging on)',
    load: async () => (await import('./logs.command')).logsCommand,
  },
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
    '             GATEHOUSE_CORS_ORIGINS, GATEHOUSE_AUTH_FAILURES_PER_MINUTE, GATEHOUSE_HTTP_REQUEST_TIMEOUT_MS,',
    '             GATEHOUSE_OAUTH_ACCESS_TOKEN_TTL, GATEHOUSE_OAUTH_CLIENT_METADATA, GATEHOUSE_EXPIRED_SWEEP_SECONDS',
    '',
  ].join('\n');
