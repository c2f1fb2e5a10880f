import {
  DebugLogQueries, LOG_FILTER_FIELDS, LogFilterError, parseLogFilter, summaryOf,
  type DebugLogFilter, type DebugLogRow, type DebugLogSummary, type LogFilterInput,
} from '../../infrastructure/readmodels/debug-logs';
import type { CliCommand } from './cli-command';
import { HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const USAGE = `Usage: gatehouse logs show [<id>] [filters] [--limit <n>] [--json]
       gatehouse logs tail [filters] [--lines <n>] [--interval <ms>] [--json]

Debug logs: the traffic of profiles with debugLogging on, params and results redacted. Read
from the database, so the server need not be running (and no admin token is needed).

  show <id>   one entry, with its params and result
  show        the newest entries (--limit, default 20), oldest first
  tail        the newest entries (--lines, default 10), then each new one as it is written,
              until interrupted (Ctrl-C)

Filters:
  --profile <slug>   --server <name>   --session <id>   --method <m[,m…]>
  --status <ok|error|timeout[,…]>   --since <ISO time|15m|2h|7d>   --until <…>   --q <text>

Options:
  --json             one JSON object per line instead of text
  -h, --help         show this help
`;

const MAX_LIMIT = 1_000;

const parseCount = (value: string | undefined, name: string, fallback: number, min: number, max: number): number => {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return Number(value);
};

/** One line per entry: time, status, where it went, what it was, how long it took. */
export const formatLogLine = (log: DebugLogSummary): string => {
  const failure = log.status === 'ok' ? '' : ` ${log.errorCode ?? ''}${log.errorMessage ? ` ${log.errorMessage}` : ''}`.trimEnd();
  const what = log.target === null ? log.method : `${log.method} ${log.target}`;
  return `${log.time} #${log.id} ${log.status.toUpperCase().padEnd(7)} ${log.profile}/${log.server ?? '-'} ${what} ${log.durationMs}ms${failure}`;
};

const print = (rows: readonly DebugLogRow[], json: boolean): void => {
  if (rows.length === 0) return;
  out(rows.map((row) => (json ? JSON.stringify(summaryOf(row)) : formatLogLine(summaryOf(row)))).join('\n'));
};

const show = async (queries: DebugLogQueries, id: string | undefined, filter: DebugLogFilter, limit: number, json: boolean): Promise<number> => {
  if (id === undefined) {
    const rows = await queries.latest(filter, limit);
    if (rows.length === 0) process.stderr.write('no debug logs (is debugLogging on for the profile?)\n');
    print(rows, json);
    return 0;
  }
  if (!/^\d{1,15}$/.test(id)) throw new UsageError(`"${id}" is not a log id`);
  const entry = await queries.get(Number(id));
  if (entry === null) {
    process.stderr.write(`gatehouse logs: no log ${id}\n`);
    return 1;
  }
  out(JSON.stringify(entry, null, json ? undefined : 2));
  return 0;
};

/** Polls the read model: works next to a running server (WAL lets it read while the server writes). */
const tail = async (queries: DebugLogQueries, filter: DebugLogFilter, lines: number, intervalMs: number, json: boolean): Promise<number> => {
  const first = lines === 0 ? [] : await queries.latest(filter, lines);
  print(first, json);
  let lastId = Math.max(await queries.lastId(), ...first.map((row) => row.id));
  process.stderr.write('following new entries (Ctrl-C to stop)\n');
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = (): void => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      for (let rows = await queries.after(filter, lastId, 500); rows.length > 0; rows = await queries.after(filter, lastId, 500)) {
        print(rows, json);
        lastId = rows[rows.length - 1].id;
      }
      // Rows that do not match the filter are skipped for good, not re-read on every poll.
      lastId = Math.max(lastId, await queries.lastId());
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs);
      });
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
};

export const logsCommand: CliCommand = {
  run: (argv) =>
    runCommand('logs', USAGE, async () => {
      const filterOptions = Object.fromEntries(LOG_FILTER_FIELDS.map((field) => [field, { type: 'string' as const }]));
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: { ...HELP_OPTION, ...filterOptions, limit: { type: 'string' }, lines: { type: 'string' }, interval: { type: 'string' }, json: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      const [action, id, ...extra] = positionals;
      if (action !== 'show' && action !== 'tail') throw new UsageError(action === undefined ? 'say show or tail' : `unknown action "${action}"`);
      if (extra.length > 0 || (action === 'tail' && id !== undefined)) throw new UsageError(`unexpected argument "${extra[0] ?? id}"`);
      const input: LogFilterInput = {};
      for (const field of LOG_FILTER_FIELDS) {
        const value = (values as Record<string, unknown>)[field];
        if (typeof value === 'string') input[field] = value;
      }
      let filter: DebugLogFilter;
      try {
        filter = parseLogFilter(input);
      } catch (error) {
        if (error instanceof LogFilterError) throw new UsageError(error.message.replace(/^(\w+) must/, '--$1 must'));
        throw error;
      }
      const json = values.json === true;
      if (action === 'show') {
        const limit = parseCount(values.limit as string | undefined, 'limit', 20, 1, MAX_LIMIT);
        return withApplication((app) => show(app.queries.debugLogs, id, filter, limit, json));
      }
      const lines = parseCount(values.lines as string | undefined, 'lines', 10, 0, MAX_LIMIT);
      const interval = parseCount(values.interval as string | undefined, 'interval', 500, 50, 60_000);
      return withApplication((app) => tail(app.queries.debugLogs, filter, lines, interval, json));
    }),
};
