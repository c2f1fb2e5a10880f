import Router from '@koa/router';
import type { Context } from 'koa';
import { PassThrough } from 'node:stream';
import type { GatehouseContext } from '../../../infrastructure/commands/context';
import type { StoredEvent } from '../../../infrastructure/eventstore';
import { eventView } from '../../../infrastructure/queries/history.queries';
import { queryInt, queryString } from '../http';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const HEARTBEAT_MS = 15_000;

const filtersOf = (ctx: Context) => {
  const stream = queryString(ctx, 'stream', 200);
  const type = queryString(ctx, 'type', 1000);
  return {
    streamId: stream !== undefined && !stream.endsWith('*') ? stream : undefined,
    streamPrefix: stream !== undefined && stream.endsWith('*') ? stream.slice(0, -1) : undefined,
    types: type === undefined ? undefined : type.split(',').filter((t) => t !== ''),
  };
};

const matches = (event: StoredEvent, filters: ReturnType<typeof filtersOf>): boolean =>
  (filters.streamId === undefined || event.streamId === filters.streamId) &&
  (filters.streamPrefix === undefined || event.streamId.startsWith(filters.streamPrefix)) &&
  (filters.types === undefined || filters.types.includes(event.type));

export const eventRoutes = (app: GatehouseContext): Router => {
  const router = new Router({ prefix: '/api/events' });

  /** Pages of the log by global position: `next` is the `after` of the next page, null at the end. */
  router.get('/', async (ctx) => {
    const after = queryInt(ctx, 'after', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const limit = queryInt(ctx, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
    const events = await app.store.readAll({ ...filtersOf(ctx), after, limit: limit + 1 });
    const page = events.slice(0, limit);
    ctx.body = { events: page.map(eventView), next: events.length > limit ? page[page.length - 1].position : null };
  });

  /**
   * Server-sent events of committed events. `Last-Event-ID` (or `?after=`) replays what was
   * missed first, so a client that reconnects sees every event once, in order.
   */
  router.get('/stream', async (ctx) => {
    const filters = filtersOf(ctx);
    const lastEventId = ctx.get('last-event-id');
    const after = /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : (queryInt(ctx, 'after', 0, Number.MAX_SAFE_INTEGER) ?? undefined);
    const stream = new PassThrough();
    ctx.req.socket.setTimeout(0);
    ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    ctx.status = 200;
    ctx.body = stream;

    let lastSent = after ?? (await app.store.headPosition());
    const send = (event: StoredEvent): void => {
      if (event.position <= lastSent) return;
      lastSent = event.position;
      if (matches(event, filters)) stream.write(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(eventView(event))}\n\n`);
    };
    const pending: StoredEvent[] = [];
    let replaying = true;
    const subscription = app.store.committed$.subscribe((event) => (replaying ? pending.push(event) : send(event)));
    stream.write(': connected\n\n');
    for (const event of await app.store.readAll({ after: lastSent })) send(event);
    replaying = false;
    for (const event of pending) send(event);
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const close = (): void => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
      stream.end();
    };
    ctx.req.on('close', close);
    stream.on('error', close);
  });

  return router;
};
