import Router from '@koa/router';
import type { Context } from 'koa';
import { EVENT_TYPES, unknownEventTypes } from '../../../domain/event-types';
import { eventView, type EventStore, type StoredEvent } from '../../../infrastructure/eventstore';
import { queryInt, queryString } from '../http';
import { ProblemError } from '../problem';
import { openSseTail } from '../sse-tail';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const filtersOf = (ctx: Context) => {
  const stream = queryString(ctx, 'stream', 200);
  const type = queryString(ctx, 'type', 1000);
  const types = type === undefined ? undefined : type.split(',').filter((t) => t !== '');
  const unknown = unknownEventTypes(types ?? []);
  if (unknown.length > 0) throw new ProblemError(400, 'INVALID_QUERY', `Unknown event type ${unknown.join(', ')}; the types are: ${EVENT_TYPES.join(', ')}`);
  return {
    streamId: stream !== undefined && !stream.endsWith('*') ? stream : undefined,
    streamPrefix: stream !== undefined && stream.endsWith('*') ? stream.slice(0, -1) : undefined,
    types,
  };
};

const matches = (event: StoredEvent, filters: ReturnType<typeof filtersOf>): boolean =>
  (filters.streamId === undefined || event.streamId === filters.streamId) &&
  (filters.streamPrefix === undefined || event.streamId.startsWith(filters.streamPrefix)) &&
  (filters.types === undefined || filters.types.includes(event.type));

export const eventRoutes = (store: EventStore): Router => {
  const router = new Router({ prefix: '/api/events' });

  /**
   * Pages of the log by global position: `next` is the `after` of the next page, null at the end.
   * `?last=N` instead: the newest N events that match, still in position order, and `next` null
   * (nothing newer); a timeline of the whole configuration shows those, not the oldest ones.
   */
  router.get('/', async (ctx) => {
    const after = queryInt(ctx, 'after', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const last = queryInt(ctx, 'last', 1, MAX_LIMIT);
    if (last !== undefined) {
      if (ctx.query.limit !== undefined) throw new ProblemError(400, 'INVALID_QUERY', 'Query parameters last and limit cannot be combined');
      const newest = await store.readAll({ ...filtersOf(ctx), after, limit: last, newestFirst: true });
      ctx.body = { events: newest.reverse().map(eventView), next: null };
      return;
    }
    const limit = queryInt(ctx, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
    const events = await store.readAll({ ...filtersOf(ctx), after, limit: limit + 1 });
    const page = events.slice(0, limit);
    ctx.body = { events: page.map(eventView), next: events.length > limit ? page[page.length - 1].position : null };
  });

  /**
   * Server-sent events of committed events. `Last-Event-ID` (or `?after=`) replays what was
   * missed first, so a client that reconnects sees every event once, in order.
   */
  router.get('/stream', async (ctx) => {
    const filters = filtersOf(ctx);
    await openSseTail(ctx, {
      live: store.committed$,
      head: () => store.headPosition(),
      replay: async (after, send) => (await store.readAll({ after })).forEach(send),
      idOf: (event) => event.position,
      frame: (event) => (matches(event, filters) ? { event: event.type, data: eventView(event) } : null),
    });
  });

  return router;
};
