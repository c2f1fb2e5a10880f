import type { Context } from 'koa';
import { PassThrough } from 'node:stream';
import type { Observable } from 'rxjs';
import { queryInt } from './http';

const HEARTBEAT_MS = 15_000;

export type SseTail<T> = Readonly<{
  /** New items as they are committed. */
  live: Observable<T>;
  /** Where to start when the client names no position (usually "now"). */
  head: () => number | Promise<number>;
  /** Sends every item after `after`; live items are held back meanwhile, then deduplicated. */
  replay: (after: number, send: (item: T) => void) => void | Promise<void>;
  /** Ordered, unique id of an item (global position, log id). */
  idOf: (item: T) => number;
  /** The `event:` name and `data:` of an item, or null when the filters leave it out. */
  frame: (item: T) => { event: string; data: unknown } | null;
}>;

/**
 * Answers with a server-sent event stream: what the client missed first (from `Last-Event-ID`
 * or `?after=`), then live items, each once and in order, with a heartbeat so proxies keep the
 * connection open. The events feed and the debug-log tail share it.
 */
export const openSseTail = async <T>(ctx: Context, tail: SseTail<T>): Promise<void> => {
  const lastEventId = ctx.get('last-event-id');
  const after = /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : queryInt(ctx, 'after', 0, Number.MAX_SAFE_INTEGER);
  const stream = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  ctx.status = 200;
  ctx.body = stream;

  let lastSent = after ?? (await tail.head());
  const send = (item: T): void => {
    const id = tail.idOf(item);
    if (id <= lastSent) return;
    lastSent = id;
    const frame = tail.frame(item);
    if (frame) stream.write(`id: ${id}\nevent: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`);
  };
  const pending: T[] = [];
  let replaying = true;
  const subscription = tail.live.subscribe((item) => (replaying ? pending.push(item) : send(item)));
  stream.write(': connected\n\n');
  await tail.replay(lastSent, send);
  replaying = false;
  pending.forEach(send);
  const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const close = (): void => {
    clearInterval(heartbeat);
    subscription.unsubscribe();
    stream.end();
  };
  ctx.req.on('close', close);
  stream.on('error', close);
};
