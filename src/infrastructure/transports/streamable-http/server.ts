import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage, type MessageExtraInfo, type RequestId, type RequestInfo } from '@modelcontextprotocol/sdk/types.js';
import { isJsonRpcResponse } from '../jsonrpc';
import { EventStream, messageEvent } from './event-stream';
import { HttpRefusal } from './refusal';
import { PostAnswer } from './post-answer';
import { assertAcceptsEventStream, assertProtocolVersion, type PostMessages } from './checks';

/** The fields that tell JSON-RPC messages apart, which the union type hides. */
type Fields = { id?: RequestId; method?: unknown; result?: unknown; error?: unknown; params?: { requestId?: unknown } };

const fields = (message: JSONRPCMessage): Fields => message as Fields;

/** The id of a request; undefined for a notification or a response. */
const requestIdOf = (message: JSONRPCMessage): RequestId | undefined => (fields(message).method === undefined ? undefined : fields(message).id);

/** The request a `notifications/cancelled` names, if the message is one. */
const cancelledBy = (message: JSONRPCMessage): RequestId | undefined => {
  const { method, id, params } = fields(message);
  if (method !== 'notifications/cancelled' || id !== undefined) return undefined;
  const requestId = params?.requestId;
  return typeof requestId === 'string' || typeof requestId === 'number' ? requestId : undefined;
};

/**
 * What the SDK hands request handlers as `extra.requestInfo`: the headers as Node parsed them
 * (already a plain object), and the URL only if someone reads it.
 */
const requestInfoOf = (req: IncomingMessage): RequestInfo => {
  let url: URL | undefined;
  return {
    headers: req.headers,
    get url(): URL {
      if (url === undefined) {
        try {
          url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
        } catch {
          url = new URL(req.url ?? '/', 'http://localhost');
        }
      }
      return url;
    },
  };
};

/**
 * The server side of one Streamable HTTP session, on Node's request and response objects.
 *
 * It replaces the SDK's StreamableHTTPServerTransport, which turns every request into a web
 * `Request` and answers through web streams (always SSE, here JSON whenever it can: see
 * PostAnswer). The checks and refusals are the SDK's (streamable-http-checks.ts); there is no
 * event store, so no resumption, and Last-Event-ID is ignored. The endpoint runs the guards
 * (Host/Origin, API key, session ownership) and the checks before calling in here.
 */
export class StreamableHttpServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private started = false;
  private closed = false;
  /** Every request not answered yet, with the POST that answers it. */
  private readonly pending = new Map<RequestId, PostAnswer>();
  /** The session's GET stream: where messages about no request go. */
  private standalone: EventStream | undefined;

  constructor(readonly sessionId: string) {}

  async start(): Promise<void> {
    if (this.started) throw new Error('Transport already started');
    this.started = true;
  }

  /** A POST whose messages passed `readPostMessages`. */
  handlePost(req: IncomingMessage, res: ServerResponse, { messages, batch }: PostMessages): void {
    if (this.closed) throw new HttpRefusal(404, -32001, 'Session not found');
    const extra: MessageExtraInfo = { requestInfo: requestInfoOf(req) };
    const requestIds: RequestId[] = [];
    for (const message of messages) {
      const id = requestIdOf(message);
      if (id !== undefined) requestIds.push(id);
    }
    if (requestIds.length === 0) {
      for (const message of messages) this.deliver(message, extra);
      res.writeHead(202, { 'Content-Length': 0, 'mcp-session-id': this.sessionId });
      res.end();
      return;
    }
    // Responses are matched to their POST by request id: one id twice would answer the wrong one.
    if (requestIds.some((id) => this.pending.has(id)) || (requestIds.length > 1 && new Set(requestIds).size !== requestIds.length)) {
      throw new HttpRefusal(400, -32600, 'Invalid Request: a request id is already in use in this session');
    }
    const answer = new PostAnswer(res, requestIds, batch, this.sessionId);
    for (const id of requestIds) this.pending.set(id, answer);
    // The SDK may answer during delivery (an unknown method): the answer is registered first.
    for (const message of messages) this.deliver(message, extra);
  }

  handleGet(req: IncomingMessage, res: ServerResponse): void {
    assertAcceptsEventStream(req);
    assertProtocolVersion(req);
    if (this.standalone !== undefined) throw new HttpRefusal(409, -32000, 'Conflict: Only one SSE stream is allowed per session');
    if (this.closed) throw new HttpRefusal(404, -32001, 'Session not found');
    const stream: EventStream = new EventStream(res, this.sessionId, undefined, () => {
      if (this.standalone === stream) this.standalone = undefined;
    });
    if (stream.isOpen) this.standalone = stream;
  }

  async handleDelete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    assertProtocolVersion(req);
    await this.close();
    res.writeHead(200, { 'Content-Length': 0, 'mcp-session-id': this.sessionId });
    res.end();
  }

  /**
   * A response goes to the POST of its request, and is dropped if that is gone. Any other
   * message goes to the POST of its related request, or without one to the GET stream (dropped
   * when none is open, as the SDK does).
   */
  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const { id } = fields(message);
    if (isJsonRpcResponse(message)) {
      if (id === undefined) throw new Error('Cannot send a response on a standalone SSE stream unless resuming a previous client request');
      const answer = this.pending.get(id);
      if (answer?.respond(id, message)) this.release(answer);
      return;
    }
    const related = options?.relatedRequestId;
    if (related === undefined) {
      this.standalone?.write(messageEvent(message));
      return;
    }
    const answer = this.pending.get(related);
    if (answer?.isOpen) {
      answer.relate(message);
      return;
    }
    // Its POST is answered or the client left it: the GET stream is the only way left to the client.
    this.standalone?.write(messageEvent(message));
  }

  /** Ends every open answer and stream; requests still open are answered ConnectionClosed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const answers = new Set(this.pending.values());
    this.pending.clear();
    for (const answer of answers) answer.abandon();
    this.standalone?.end();
    this.standalone = undefined;
    this.onclose?.();
  }

  private release(answer: PostAnswer): void {
    for (const id of answer.requestIds) if (this.pending.get(id) === answer) this.pending.delete(id);
  }

  /**
   * Hands one message to the SDK. A throw there is the gateway's fault, not the client's: a
   * request then gets an internal error as its answer, and the rest of the batch goes on.
   * A cancellation ends the wait for its request, which the SDK will not answer.
   */
  private deliver(message: JSONRPCMessage, extra: MessageExtraInfo): void {
    try {
      this.onmessage?.(message, extra);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      const id = requestIdOf(message);
      if (id !== undefined) {
        const failure: JSONRPCMessage = { jsonrpc: '2.0', id, error: { code: ErrorCode.InternalError, message: 'Internal error' } };
        // Through `this.send`, which the traffic tap wraps, so the request is recorded as answered.
        void this.send(failure).catch(() => undefined);
      }
    }
    const cancelled = cancelledBy(message);
    if (cancelled === undefined) return;
    const answer = this.pending.get(cancelled);
    if (answer?.forget(cancelled)) this.release(answer);
  }
}
