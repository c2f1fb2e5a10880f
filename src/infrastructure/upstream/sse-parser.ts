import { StringDecoder } from 'node:string_decoder';

/** One dispatched server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export type SseEvent = Readonly<{ event: string; data: string; id: string | undefined }>;

export type SseHandlers = Readonly<{
  onEvent: (event: SseEvent) => void;
  /** A `retry:` field: the reconnection delay the server asks for, in ms. */
  onRetry?: (millis: number) => void;
}>;

/**
 * An incremental event-stream parser over the raw bytes of a response: lines end with LF, CR
 * or CRLF (a CR at the end of one chunk and an LF at the start of the next are one line end),
 * UTF-8 sequences may be split across chunks, comments are skipped, and an event is
 * dispatched at each blank line when it has data.
 */
export class SseParser {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private skipLeadingLf = false;
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  constructor(private readonly handlers: SseHandlers) {}

  push(chunk: Buffer): void {
    let text = this.decoder.write(chunk);
    if (this.skipLeadingLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLeadingLf = false;
    this.buffer += text;
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      this.line(this.buffer.slice(start, end));
      if (this.buffer[end] === '\r') {
        if (end + 1 === this.buffer.length) {
          this.skipLeadingLf = true;
        } else if (this.buffer[end + 1] === '\n') {
          start = end + 2;
          continue;
        }
      }
      start = end + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        return;
      case 'data':
        this.data.push(value);
        return;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        return;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(Number(value));
        return;
    }
  }

  private dispatch(): void {
    const { event, data, id } = this;
    this.event = '';
    this.data = [];
    // The last event id persists across events, as the spec's "last event ID buffer" does.
    this.handlers.onEvent({ event: event === '' ? 'message' : event, data: data.join('\n'), id });
  }
}
