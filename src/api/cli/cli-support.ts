import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DomainError, errorMessage } from '../../domain/shared';
import { openApplication, type Application } from '../../infrastructure/application';
import type { CommandContext } from '../../infrastructure/commands/handle-command';
import { ConfigError, loadConfig } from '../../infrastructure/config/config';
import { BackupError } from '../../infrastructure/crypto/backup-cipher';
import { ImportRefusedError } from '../../infrastructure/importexport';

/** Bad command-line input: reported with the command's usage and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** util.parseArgs, with its errors (unknown option, missing value) turned into usage errors. */
export const parseCommandLine = <T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> => {
  try {
    return parseArgs(config);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((error as Error).message);
    throw error;
  }
};

/** The audit trail names who ran the command: `cli:<os user>`. */
export const cliActor = (): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // no passwd entry (some containers): the environment is the best we have
    return `cli:${process.env.USER ?? process.env.USERNAME ?? 'unknown'}`;
  }
};

export const cliCommandContext = (): CommandContext => ({ actor: cliActor(), correlationId: randomUUID() });

/**
 * Opens the application on the configured database directly (no running server needed; SQLite's
 * busy timeout lets the CLI write next to one), applying pending migrations, and closes it
 * afterwards.
 */
export const withApplication = async <T>(work: (app: Application) => Promise<T>): Promise<T> => {
  const app = await openApplication(loadConfig());
  try {
    return await work(app);
  } finally {
    await app.close();
  }
};

const write = (text: string): void => {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
};

/**
 * Runs a command body and turns every failure into a message and an exit code: users see what
 * went wrong and what to do, never a stack trace.
 */
export const runCommand = async (name: string, usage: string, work: () => Promise<number>): Promise<number> => {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError) {
      write(`gatehouse ${name}: ${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof ImportRefusedError) {
      write(`gatehouse ${name}: ${error.message}`);
      for (const entry of error.errors) write(`  ${entry.field}: ${entry.messages.join('; ')}`);
      return 1;
    }
    if (error instanceof DomainError || error instanceof BackupError) {
      write(`gatehouse ${name}: ${error.message} (${error.code})`);
      return 1;
    }
    if (error instanceof ConfigError) {
      write(`gatehouse ${name}: configuration: ${error.message}`);
      return 1;
    }
    write(`gatehouse ${name}: ${errorMessage(error)}`);
    return 1;
  }
};

/** A plain-text table: columns padded to their widest cell, the last one left ragged. */
export const formatTable = (headers: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
};

export const out = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};
