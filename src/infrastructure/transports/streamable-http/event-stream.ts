import type { ServerResponse } from 'node:http';

/** Often enough for proxies and idle timeouts that cut silent connections (the SDK's interval). */
export const KEEP_ALIVE_MS = 15_000;

const KEEP_ALIVE = ': keepalive\n\n';

const EVENT_STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

/** One SSE `message` event. JSON.stringify never emits a line break, so one data line holds it. */
export const messageEvent = (message: unknown): string => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

/**
 * An open `text/event-stream` response: a POST's answer once it streams, or a session's GET
 * stream (and, on the 2026-07-28 endpoint, a request's answer with its progress, or a
 * `subscriptions/listen` stream). Writes stop for good at `end()` or when the client goes away
 * (a write after the end would be an 'error' event on the response), and so does the keep-alive
 * timer.
 */
export class EventStream {
  private open = true;
  private readonly keepAlive: NodeJS.Timeout;

  /**
   * `sessionId`: sent as `mcp-session-id` (none on the session-less 2026-07-28 revision).
   * `first`: what goes out with the headers (nothing: the headers are flushed alone, so a
   * client waiting on a GET sees its stream open). `onGone`: the client closed the connection.
   */
  constructor(
    private readonly res: ServerResponse,
    sessionId: string | undefined,
    first: string | undefined,
    onGone: () => void = () => undefined,
  ) {
    res.writeHead(200, sessionId === undefined ? EVENT_STREAM_HEADERS : { ...EVENT_STREAM_HEADERS, 'mcp-session-id': sessionId });
    if (first === undefined) res.flushHeaders();
    else res.write(first);
    this.keepAlive = setInterval(() => this.write(KEEP_ALIVE), KEEP_ALIVE_MS);
    this.keepAlive.unref();
    // A client gone before the stream opened has had its 'close' already: nothing to wait for.
    if (res.destroyed) {
      this.stop();
      return;
    }
    res.once('close', () => {
      if (!this.open) return;
      this.stop();
      onGone();
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  write(chunk: string): void {
    if (this.open && !this.res.destroyed) this.res.write(chunk);
  }

  end(last?: string): void {
    if (!this.open) return;
    this.stop();
    if (!this.res.destroyed) this.res.end(last);
  }

  private stop(): void {
    this.open = false;
    clearInterval(this.keepAlive);
  }
}
