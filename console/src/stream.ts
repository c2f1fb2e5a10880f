import { createParser } from 'eventsource-parser';

/** One server-sent event; `id` is the stream's last event id (the spec's "last event ID buffer"). */
export type StreamEvent = Readonly<{ type: string; data: string; id: string | undefined }>;

export type StreamOptions = Readonly<{
  /** Request headers, read again for every connection (the credential may have changed meanwhile). */
  headers: () => Record<string, string>;
  /** Sent as Last-Event-ID on the first connection: where to resume from (none: from now). */
  lastEventId?: string;
  onEvent: (event: StreamEvent) => void;
  /** True once a connection is open, false when it is lost (not when stopped). */
  onState?: (live: boolean) => void;
}>;

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/** Waits `ms`, or less when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

/**
 * Follows one server-sent event stream of the admin API: read with fetch, because EventSource
 * cannot send the bearer token, and parsed by `eventsource-parser`. After a drop (or a refused
 * connection) it reconnects with Last-Event-ID set to the last id it saw, so nothing is lost or
 * delivered twice, waiting 0.5 s, then twice as long each time up to 10 s; an open connection
 * starts the backoff over. Returns the stop function, which aborts the request and any wait.
 */
export const followStream = (url: string, options: StreamOptions): (() => void) => {
  const abort = new AbortController();
  let lastId = options.lastEventId;

  const read = async (body: NonNullable<Response['body']>): Promise<void> => {
    // A fresh parser per connection: half an event from a dropped one must not join the next.
    const parser = createParser({
      onEvent: ({ id, event, data }) => {
        if (id !== undefined) lastId = id;
        options.onEvent({ type: event ?? 'message', data, id: lastId });
      },
    });
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  };

  const run = async (): Promise<void> => {
    let delay = FIRST_DELAY_MS;
    while (!abort.signal.aborted) {
      try {
        const response = await fetch(url, {
          headers: { ...options.headers(), ...(lastId === undefined ? {} : { 'last-event-id': lastId }), accept: 'text/event-stream' },
          signal: abort.signal,
        });
        if (!response.ok || !response.body) throw new Error(`${url}: ${response.status}`);
        options.onState?.(true);
        delay = FIRST_DELAY_MS;
        await read(response.body);
      } catch {
        if (abort.signal.aborted) return;
      }
      options.onState?.(false);
      await pause(delay, abort.signal);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  };
  void run();
  return () => abort.abort();
};
