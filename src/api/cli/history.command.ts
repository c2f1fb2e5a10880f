import { EVENT_TYPES, unknownEventTypes } from '../../domain/event-types';
import { eventView, type StoredEvent } from '../../infrastructure/eventstore';
import type { CliCommand } from './cli-command';
import { formatTable, HELP_OPTION, out, parseCommandLine, runCommand, UsageError, withApplication } from './cli-support';

const USAGE = `Usage: gatehouse history [--stream <id|prefix*>] [--type <T[,T…]>] [--after <position>] [--limit <n>] [--json]

Shows the configuration's event log, oldest first: position, time, stream, type, actor and a
one-line summary of the data (secrets masked).

Options:
  --stream <id|prefix*>  one stream (server-<id>, profile-<id>, …) or, ending in *, every
                         stream with that prefix (server-*)
  --type <T[,T…]>        only these event types (ServerRegistered,ServerRemoved)
  --after <position>     start after this global position (default 0)
  --limit <n>            at most this many events (default 100, at most 10000)
  --json                 one JSON object per line instead of the table
  -h, --help             show this help
`;

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
const SUMMARY_WIDTH = 120;
const VALUE_WIDTH = 48;

/** The id a stream's events repeat in their data: the stream column already shows it. */
const STREAM_KEYS: Readonly<Record<string, string>> = { server: 'serverId', profile: 'profileId', apikey: 'keyId', oauth: 'serverId' };

const clip = (text: string, width: number): string => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

const scalar = (value: unknown): string =>
  typeof value === 'string' ? clip(/^[\w.:/@•-]*$/.test(value) && value !== '' ? value : JSON.stringify(value), VALUE_WIDTH) : clip(JSON.stringify(value) ?? 'undefined', VALUE_WIDTH);

/** Lists of objects (discovered tools, attached servers) shrink to their names or their count. */
const listValue = (items: readonly unknown[]): string => {
  if (items.every((item) => typeof item !== 'object' || item === null)) return scalar(items);
  const names = items.map((item) => (item as { name?: unknown }).name);
  return names.every((name) => typeof name === 'string') ? clip(`[${names.join(', ')}]`, VALUE_WIDTH) : `[${items.length} items]`;
};

/** null, [] and {} say "nothing set": leaving them out keeps the line about what is. */
const isEmpty = (value: unknown): boolean =>
  value === null || value === undefined || (typeof value === 'object' && Object.keys(value).length === 0);

const pairs = (data: Readonly<Record<string, unknown>>, prefix: string): string[] =>
  Object.entries(data).filter(([, value]) => !isEmpty(value)).flatMap(([key, value]) => {
    const name = `${prefix}${key}`;
    if (Array.isArray(value)) return [`${name}=${listValue(value)}`];
    if (typeof value === 'object' && value !== null && prefix === '') return pairs(value as Record<string, unknown>, `${name}.`);
    return [`${name}=${scalar(value)}`];
  });

/** One line for people: `key=value` pairs of the (masked) data, nested one level, clipped. */
export const summarizeEvent = (streamId: string, data: unknown): string => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return clip(scalar(data), SUMMARY_WIDTH);
  const idKey = STREAM_KEYS[streamId.split('-')[0]];
  const rest = Object.fromEntries(Object.entries(data).filter(([key]) => key !== idKey));
  return clip(pairs(rest, '').join(' '), SUMMARY_WIDTH);
};

const parseCount = (value: string | undefined, name: string, fallback: number, max: number): number => {
  if (value === undefined) return fallback;
  if (!/^\d{1,15}$/.test(value) || Number(value) > max) throw new UsageError(`--${name} must be an integer from 0 to ${max}`);
  return Number(value);
};

const row = (event: StoredEvent): string[] => {
  const view = eventView(event);
  return [String(view.position), event.recordedAt.replace(/\.\d+Z$/, 'Z'), view.streamId, view.type, view.metadata.actor, summarizeEvent(view.streamId, view.data)];
};

export const historyCommand: CliCommand = {
  run: (argv) =>
    runCommand('history', USAGE, async () => {
      const { values, positionals } = parseCommandLine({
        args: [...argv],
        options: {
          ...HELP_OPTION,
          stream: { type: 'string' },
          type: { type: 'string' },
          after: { type: 'string' },
          limit: { type: 'string' },
          json: { type: 'boolean' },
        },
        allowPositionals: true,
      });
      if (values.help) return (out(USAGE), 0);
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      const after = parseCount(values.after, 'after', 0, Number.MAX_SAFE_INTEGER);
      const limit = parseCount(values.limit, 'limit', DEFAULT_LIMIT, MAX_LIMIT);
      if (limit === 0) throw new UsageError('--limit must be at least 1');
      const stream = values.stream;
      const types = values.type?.split(',').map((type) => type.trim()).filter((type) => type !== '');
      const unknown = unknownEventTypes(types ?? []);
      if (unknown.length > 0) throw new UsageError(`unknown event type${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; the types are: ${EVENT_TYPES.join(', ')}`);
      const events = await withApplication((app) =>
        app.store.readAll({
          after,
          limit: limit + 1,
          streamId: stream !== undefined && !stream.endsWith('*') ? stream : undefined,
          streamPrefix: stream?.endsWith('*') ? stream.slice(0, -1) : undefined,
          types,
        }),
      );
      const page = events.slice(0, limit);
      if (values.json) {
        if (page.length > 0) out(page.map((event) => JSON.stringify(eventView(event))).join('\n'));
      } else if (page.length === 0) {
        process.stderr.write('no events\n');
      } else {
        out(formatTable(['POSITION', 'TIME', 'STREAM', 'TYPE', 'ACTOR', 'DATA'], page.map(row)));
      }
      if (events.length > limit) process.stderr.write(`more events follow: --after ${page[page.length - 1].position}\n`);
      return 0;
    }),
};
