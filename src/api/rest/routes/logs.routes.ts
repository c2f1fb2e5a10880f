import Router from '@koa/router';
import type { Context } from 'koa';
import type { Observable } from 'rxjs';
import {
  LOG_FILTER_FIELDS, LogFilterError, matchesFilter, parseLogFilter, parseLogTime, summaryOf,
  type DebugLogFilter, type DebugLogQueries, type DebugLogRow, type LogFilterInput,
} from '../../../infrastructure/readmodels/debug-logs';
import { queryInt, queryString } from '../http';
import { ProblemError } from '../problem';
import { openSseTail } from '../sse-tail';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;
/** A reconnecting tail replays at most this many missed rows, then follows live. */
const MAX_REPLAY = 10_000;

export type LogsApi = Readonly<{
  queries: DebugLogQueries;
  /** Rows as the projection commits them. */
  rows$: Observable<DebugLogRow>;
  deleteBefore: (before: string) => Promise<number>;
}>;

const invalid = (error: unknown): never => {
  if (error instanceof LogFilterError) throw new ProblemError(400, 'INVALID_QUERY', error.message, [{ field: error.field, messages: [error.message] }]);
  throw error;
};

/** Unknown query parameters are refused: a misspelt filter must not silently match everything. */
const filterOf = (ctx: Context, extra: readonly string[]): DebugLogFilter => {
  const allowed = new Set<string>([...LOG_FILTER_FIELDS, ...extra]);
  const unknown = Object.keys(ctx.query).find((name) => !allowed.has(name));
  if (unknown !== undefined) throw new ProblemError(400, 'INVALID_QUERY', `Unknown query parameter "${unknown}"; filters are ${LOG_FILTER_FIELDS.join(', ')}`);
  const input: LogFilterInput = {};
  for (const field of LOG_FILTER_FIELDS) {
    const value = queryString(ctx, field, 1_000);
    if (value !== undefined) input[field] = value;
  }
  try {
    return parseLogFilter(input);
  } catch (error) {
    return invalid(error);
  }
};

/**
 * Debug logs (traffic of profiles with `debugLogging` on): pages newest first, one entry with
 * its redacted payloads, a live tail over server-sent events, and deletion by age.
 */
export const logRoutes = (logs: LogsApi): Router => {
  const router = new Router({ prefix: '/api/logs' });

  router.get('/', async (ctx) => {
    const filter = filterOf(ctx, ['cursor', 'limit']);
    const cursor = queryInt(ctx, 'cursor', 1, Number.MAX_SAFE_INTEGER);
    const limit = queryInt(ctx, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
    ctx.body = await logs.queries.list(filter, { cursor, limit });
  });

  /**
   * Server-sent events (`event: log`, `id:` the entry id) of new entries matching the filters.
   * `Last-Event-ID` (or `?after=`) replays what was missed first, so a reconnecting client
   * sees every entry once, in order.
   */
  router.get('/stream', async (ctx) => {
    const filter = filterOf(ctx, ['after']);
    await openSseTail(ctx, {
      live: logs.rows$,
      head: () => logs.queries.lastId(),
      replay: async (after, send) => {
        let from = after;
        for (let replayed = 0; replayed < MAX_REPLAY; ) {
          const page = await logs.queries.after(filter, from, 1_000);
          if (page.length === 0) break;
          page.forEach(send);
          from = page[page.length - 1].id;
          replayed += page.length;
        }
      },
      idOf: (row) => row.id,
      frame: (row) => (matchesFilter(row, filter) ? { event: 'log', data: summaryOf(row) } : null),
    });
  });

  router.get('/:id', async (ctx) => {
    const id = String(ctx.params.id);
    if (!/^\d{1,15}$/.test(id)) throw new ProblemError(400, 'INVALID_LOG_ID', 'A log id is a positive integer');
    const entry = await logs.queries.get(Number(id));
    if (entry === null) throw new ProblemError(404, 'LOG_NOT_FOUND', `Log ${id} not found`);
    ctx.body = entry;
  });

  /** `?before=` is required (ISO-8601 or a duration like 7d): nothing is deleted by accident. */
  router.delete('/', async (ctx) => {
    const unknown = Object.keys(ctx.query).find((name) => name !== 'before');
    if (unknown !== undefined) throw new ProblemError(400, 'INVALID_QUERY', `Unknown query parameter "${unknown}"; DELETE takes only before`);
    const before = queryString(ctx, 'before', 64);
    if (before === undefined) throw new ProblemError(400, 'INVALID_QUERY', 'before is required: an ISO-8601 time or a duration like 7d');
    let cutoff: string;
    try {
      cutoff = parseLogTime('before', before);
    } catch (error) {
      return invalid(error);
    }
    ctx.body = { deleted: await logs.deleteBefore(cutoff), before: cutoff };
  });

  return router;
};
