import { serveCommand } from './serve.command';

export type CliCommand = Readonly<{
  summary: string;
  run: (argv: readonly string[]) => Promise<number>;
}>;

export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  serve: serveCommand,
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
