import type { ServerResponse } from 'node:http';
import { ErrorCode, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { EventStream, messageEvent } from './event-stream';

/** What a request still open gets when its session closes: what the SDK's Protocol reports locally. */
const connectionClosed = (id: RequestId): JSONRPCMessage => ({ jsonrpc: '2.0', id, error: { code: ErrorCode.ConnectionClosed, message: 'Connection closed' } });

/**
 * The HTTP answer to one POST that carried requests.
 *
 * JSON when every response is ready before anything else has to reach the client through this
 * POST: one object (an array when the body was one), one write, no stream to hold open. If a
 * message about one of its requests comes first (progress, a server→client request, a log
 * line), the answer becomes an SSE stream for good: the responses already collected go out as
 * events with that message, then every message as it comes, and the stream ends with the last
 * response.
 *
 * A client that went away is told nothing more: what is left is dropped, while its requests
 * run to their end, since a closed connection is no cancellation (the client sends one). A
 * request the client cancels is answered by nobody: the answer ends without it.
 */
export class PostAnswer {
  /** The request ids in the order they came, each with its response once it is there. */
  private readonly responses = new Map<RequestId, JSONRPCMessage | undefined>();
  private unanswered: number;
  private stream: EventStream | undefined;

  constructor(
    private readonly res: ServerResponse,
    readonly requestIds: readonly RequestId[],
    private readonly batch: boolean,
    private readonly sessionId: string,
  ) {
    for (const id of requestIds) this.responses.set(id, undefined);
    this.unanswered = this.responses.size;
  }

  /** Records the response to one of its requests; true once every request is answered. */
  respond(id: RequestId, response: JSONRPCMessage): boolean {
    if (!this.responses.has(id) || this.responses.get(id) !== undefined) return this.unanswered === 0;
    this.responses.set(id, response);
    this.unanswered -= 1;
    if (this.stream !== undefined) {
      const event = messageEvent(response);
      if (this.unanswered === 0) this.stream.end(event);
      else this.stream.write(event);
    } else if (this.unanswered === 0) {
      this.writeJson();
    }
    return this.unanswered === 0;
  }

  /**
   * The client cancelled one of its requests: no response will come for it (the SDK answers
   * none), so the answer ends without it. True once nothing else is awaited.
   */
  forget(id: RequestId): boolean {
    if (!this.responses.has(id) || this.responses.get(id) !== undefined) return this.unanswered === 0;
    this.responses.delete(id);
    this.unanswered -= 1;
    if (this.unanswered > 0) return false;
    if (this.stream !== undefined) this.stream.end();
    else if (this.responses.size > 0) this.writeJson();
    else if (!this.res.destroyed) new EventStream(this.res, this.sessionId, '').end();
    return true;
  }

  /** Whether the client can still be told something through this POST. */
  get isOpen(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  /** A message about one of its requests, sent before they are all answered. */
  relate(message: JSONRPCMessage): void {
    if (this.stream !== undefined) {
      this.stream.write(messageEvent(message));
      return;
    }
    if (this.res.destroyed) return;
    let events = '';
    for (const response of this.responses.values()) if (response !== undefined) events += messageEvent(response);
    this.stream = new EventStream(this.res, this.sessionId, events + messageEvent(message));
  }

  /** The session closed first: every request still open is answered with ConnectionClosed. */
  abandon(): void {
    for (const [id, response] of this.responses) if (response === undefined) this.respond(id, connectionClosed(id));
  }

  private writeJson(): void {
    if (this.res.destroyed) return;
    const responses = [...this.responses.values()];
    const body = JSON.stringify(this.batch ? responses : responses[0]);
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'mcp-session-id': this.sessionId });
    this.res.end(body);
  }
}
