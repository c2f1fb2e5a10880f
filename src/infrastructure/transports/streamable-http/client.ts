import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { sendWithToken, withBearer, type UpstreamIdentity, type UpstreamTokenSource } from '../../upstream/authorized-fetch';
import { isHostAllowed } from '../../upstream/host-allowlist';
import { readBody } from '../http-body';
import { asJsonRpcMessage, isJsonRpcResponse } from '../jsonrpc';
import { deliverInOrder } from '../message-order';
import { SseParser, type SseEvent } from './sse-parser';

export type StreamableHttpClientOptions = Readonly<{
  url: URL;
  server: UpstreamIdentity;
  /** Configured headers and the static bearer token (see upstreamHeaders). */
  headers: Readonly<Record<string, string>>;
  /** settings.upstreamAllowedHosts, read at every request. */
  allowedHosts: () => readonly string[];
  /** OAuth tokens, asked at every request; a 401 is retried once with what it offers. */
  tokens?: UpstreamTokenSource;
  /** The first delay before re-opening a stream (default 1 s, growing 1.5× to 30 s). */
  reconnectInitialMs?: number;
}>;

/**
 * Re-opening a stream: the SDK transport's backoff. The session's GET stream is re-opened for as
 * long as the session lives (a gateway outlives many upstream restarts); resuming one POST's
 * answer is tried twice, as the SDK does, since its request times out anyway.
 */
const RECONNECT = { initialMs: 1_000, growFactor: 1.5, maxMs: 30_000, resumeRetries: 2 } as const;

/** Statuses after which re-opening the GET stream cannot help (404: the session is gone, and the next request renews it). */
const isFinalRefusal = (error: unknown): boolean =>
  error instanceof StreamableHTTPError && error.code !== undefined && error.code >= 400 && error.code < 500 && error.code !== 408 && error.code !== 429;
/** An upstream answer larger than this is refused rather than buffered. */
const MAX_JSON_BODY = 64 * 1024 * 1024;
/** How much of an error body goes into the error message. */
const MAX_ERROR_TEXT = 4_096;

/**
 * Where a stream picks up: after `lastEventId`. `ids`: the requests of the POST whose answer it
 * carries (still unanswered; undefined for the session's GET stream).
 */
type Resume = { lastEventId: string; ids: Set<RequestId> | undefined; attempt: number };

const isRequest = (message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId; method: string } =>
  'method' in message && 'id' in message && message.id !== undefined;

/** Far more than a session has outstanding; a bound, so an upstream that never answers cannot grow the maps. */
const MAX_RELATED = 10_000;

/** Headers that frame the HTTP exchange itself: the transport sets them, configured values are dropped. */
const FRAMING_HEADERS: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection', 'expect']);

const withoutFraming = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !FRAMING_HEADERS.has(name.toLowerCase())));

const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0].trim().toLowerCase();

const errorText = async (response: IncomingMessage): Promise<string> => {
  try {
    return (await readBody(response, MAX_JSON_BODY)).toString('utf8').slice(0, MAX_ERROR_TEXT);
  } catch {
    return '';
  }
};

/**
 * The MCP Streamable HTTP client transport on Node's own `http.request` with a keep-alive agent
 * (one per session), in place of the SDK's fetch-based one: on the proxy's hot path the
 * difference is several hundred microseconds of CPU per call (undici, web streams, and a
 * TextDecoderStream + parser stream per answer). What an upstream sees is the same: a POST per
 * message with Accept of both answer types, the session id and protocol version headers after
 * initialize, a GET stream for server-initiated messages (405: none), a DELETE at the end.
 *
 * Differences on purpose: redirects are never followed (3xx is an HTTP error, as the host
 * allowlist wants), the allowlist and OAuth token are checked at every request, and a request
 * the Protocol gives up on (it sends notifications/cancelled, on timeout too) has its HTTP
 * exchange ended, so a hung upstream does not keep sockets open.
 */
export class StreamableHttpClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  /** The URL as request options, worked out once rather than at every request. */
  private readonly target: Readonly<Pick<http.RequestOptions, 'protocol' | 'hostname' | 'port' | 'path'>>;
  private readonly live = new Set<ClientRequest>();
  /** The HTTP exchange that carries each outstanding request, so a cancel can end it. */
  private readonly exchanges = new Map<RequestId, ClientRequest>();
  /** Exchanges ended because their request was cancelled. */
  private readonly abandoned = new WeakSet<ClientRequest>();
  /** The `relatedRequestId` each outstanding request of ours was sent with, by its id. */
  private readonly sentFor = new Map<RequestId, RequestId>();
  /**
   * The upstream's requests that arrived on the answer stream of one of ours, by their id: the
   * `relatedRequestId` that one was sent with. Forgotten when we answer them.
   */
  private readonly askedFor = new Map<RequestId, RequestId>();
  private session: string | undefined;
  private protocol: string | undefined;
  private serverRetryMs: number | undefined;
  /** Pending re-opens of streams (the GET stream and POST answers being resumed). */
  private readonly timers = new Set<NodeJS.Timeout>();
  private started = false;
  private closed = false;

  /** The configured headers, without any that would break the framing of a request. */
  private readonly configured: Record<string, string>;

  constructor(private readonly options: StreamableHttpClientOptions) {
    this.configured = withoutFraming(options.headers);
    const secure = options.url.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, scheduling: 'lifo' }) : new http.Agent({ keepAlive: true, scheduling: 'lifo' });
    this.request = secure ? https.request : http.request;
    const { url } = options;
    this.target = {
      protocol: url.protocol,
      // An IPv6 literal is bracketed in a URL but not in request options.
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
    };
  }

  get sessionId(): string | undefined {
    return this.session;
  }

  get protocolVersion(): string | undefined {
    return this.protocol;
  }

  setProtocolVersion(version: string): void {
    this.protocol = version;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('transport already started');
    this.started = true;
  }

  /**
   * The `relatedRequestId` of the request of ours whose answer stream carried the upstream's
   * request `id`, if one did: in Streamable HTTP an upstream sends what it asks during a call on
   * that call's stream, and this is the only thing in the 2025 protocol that says which call a
   * question (sampling, elicitation, roots) is for.
   */
  relatedRequestOf(id: RequestId): RequestId | undefined {
    return this.askedFor.get(id);
  }

  async send(message: JSONRPCMessage | JSONRPCMessage[], options?: TransportSendOptions): Promise<void> {
    const messages = Array.isArray(message) ? message : [message];
    const ids = messages.filter(isRequest).map(({ id }) => id);
    for (const sent of messages) if ('result' in sent || 'error' in sent) this.askedFor.delete(sent.id as RequestId);
    if (options?.relatedRequestId !== undefined && this.sentFor.size < MAX_RELATED) for (const id of ids) this.sentFor.set(id, options.relatedRequestId);
    let exchange: ClientRequest | undefined;
    // An answer on an event stream outlives `send`: its exchange is forgotten when the stream ends.
    let streams = false;
    try {
      streams = await this.post(message, messages, (request) => {
        exchange = request;
        for (const id of ids) this.exchanges.set(id, request);
      });
    } catch (error) {
      // Ended on purpose (its request was cancelled, or the transport closed): not news.
      if (this.closed || (exchange !== undefined && this.abandoned.has(exchange))) return;
      this.onerror?.(error as Error);
      throw error;
    } finally {
      if (!streams) {
        for (const id of ids) {
          if (this.exchanges.get(id) === exchange) this.exchanges.delete(id);
          this.sentFor.delete(id);
        }
      }
    }
  }

  /** DELETEs the session on the upstream (405: it keeps sessions until they expire; fine). */
  async terminateSession(): Promise<void> {
    if (this.session === undefined) return;
    const response = await this.exchange('DELETE', undefined, {});
    response.resume();
    if (!ok(response) && response.statusCode !== 405) {
      throw new StreamableHTTPError(response.statusCode ?? -1, `Failed to terminate session: ${response.statusMessage ?? ''}`);
    }
    this.session = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const request of this.live) request.destroy();
    this.live.clear();
    this.exchanges.clear();
    this.sentFor.clear();
    this.askedFor.clear();
    this.agent.destroy();
    this.onclose?.();
  }

  /** Sends one POST and delivers its answer; true when the answer goes on as an event stream. */
  private async post(message: JSONRPCMessage | JSONRPCMessage[], messages: readonly JSONRPCMessage[], onRequest: (request: ClientRequest) => void): Promise<boolean> {
    let request: ClientRequest | undefined;
    const response = await this.exchange('POST', JSON.stringify(message), {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    }, (sent) => {
      request = sent;
      onRequest(sent);
    });
    const session = response.headers['mcp-session-id'];
    if (typeof session === 'string' && session !== '') this.session = session;
    if (!ok(response)) {
      throw new StreamableHTTPError(response.statusCode ?? -1, `Error POSTing to endpoint: ${await errorText(response)}`);
    }
    this.afterCancel(messages);
    const requests = messages.filter(isRequest);
    if (response.statusCode === 202 || requests.length === 0) {
      response.resume();
      if (response.statusCode === 202 && messages.some((m) => 'method' in m && m.method === 'notifications/initialized')) {
        this.openStream(undefined, 0);
      }
      return false;
    }
    const type = mediaType(response.headers['content-type']);
    if (type === 'text/event-stream') {
      this.readStream(response, request as ClientRequest, { ids: new Set(requests.map(({ id }) => id)) });
      return true;
    }
    if (type === 'application/json') {
      const data: unknown = JSON.parse((await readBody(response, MAX_JSON_BODY)).toString('utf8'));
      for (const item of Array.isArray(data) ? data : [data]) {
        const message = asJsonRpcMessage(item);
        if (message === undefined) throw new StreamableHTTPError(-1, 'Upstream answered something that is not a JSON-RPC message');
        this.onmessage?.(message);
      }
      return false;
    }
    response.resume();
    throw new StreamableHTTPError(-1, `Unexpected content type: ${response.headers['content-type'] ?? '(none)'}`);
  }

  /** An upstream request on the answer stream of ours: for the call that one was sent for (one request per POST, as the SDK sends). */
  private noteAskedFor(id: RequestId, streamOf: ReadonlySet<RequestId>): void {
    if (streamOf.size !== 1 || this.askedFor.size >= MAX_RELATED) return;
    const [ours] = streamOf;
    const related = this.sentFor.get(ours);
    if (related !== undefined) this.askedFor.set(id, related);
  }

  /** After a notifications/cancelled went out, the exchange still waiting for that request is ended. */
  private afterCancel(messages: readonly JSONRPCMessage[]): void {
    for (const message of messages) {
      if (!('method' in message) || message.method !== 'notifications/cancelled') continue;
      const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (requestId === undefined) continue;
      this.sentFor.delete(requestId);
      const exchange = this.exchanges.get(requestId);
      if (!exchange) continue;
      this.exchanges.delete(requestId);
      this.abandoned.add(exchange);
      exchange.destroy();
    }
  }

  /** The GET stream for messages the upstream starts; re-opened with backoff when it drops. */
  private openStream(resume: Resume | undefined, attempt: number): void {
    if (this.closed) return;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (resume) headers['last-event-id'] = resume.lastEventId;
    let request: ClientRequest | undefined;
    this.exchange('GET', undefined, headers, (sent) => (request = sent)).then(
      (response) => {
        if (response.statusCode === 405) {
          response.resume();
          return;
        }
        if (!ok(response)) {
          response.resume();
          throw new StreamableHTTPError(response.statusCode ?? -1, `Failed to open SSE stream: ${response.statusMessage ?? ''}`);
        }
        this.readStream(response, request as ClientRequest, { ids: resume?.ids, resume });
      },
    ).catch((error: unknown) => {
      if (this.closed) return;
      this.onerror?.(error as Error);
      if (!isFinalRefusal(error)) this.scheduleReconnect(resume, attempt + 1);
    });
  }

  private scheduleReconnect(resume: Resume | undefined, attempt: number): void {
    if (this.closed) return;
    if (resume) resume.attempt = attempt;
    if (resume?.ids !== undefined && attempt > RECONNECT.resumeRetries) {
      this.onerror?.(new Error(`Maximum reconnection attempts (${RECONNECT.resumeRetries}) exceeded.`));
      return;
    }
    const initial = this.options.reconnectInitialMs ?? RECONNECT.initialMs;
    const delay = this.serverRetryMs ?? Math.min(initial * RECONNECT.growFactor ** (attempt - 1), RECONNECT.maxMs);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.openStream(resume, attempt);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  /**
   * Delivers a stream's messages. `ids` are the requests a POST stream answers (undefined for
   * the GET stream): a stream that ends before answering them, after giving an event id, is
   * resumed with a GET and Last-Event-ID, as the spec allows; a GET stream is always re-opened.
   */
  private readStream(response: IncomingMessage, request: ClientRequest, stream: { ids: Set<RequestId> | undefined; resume?: Resume }): void {
    let lastEventId = stream.resume?.lastEventId;
    const waiting = stream.ids;
    const parser = new SseParser({
      onRetry: (millis) => (this.serverRetryMs = millis),
      onEvent: (event: SseEvent) => {
        if (event.id !== undefined) lastEventId = event.id;
        if (event.data === '' || event.event !== 'message') return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(event.data);
        } catch (error) {
          this.onerror?.(new Error(`Upstream sent an event that is not JSON: ${(error as Error).message}`));
          return;
        }
        const message = asJsonRpcMessage(parsed);
        if (message === undefined) {
          this.onerror?.(new Error('Upstream sent an event that is not a JSON-RPC message'));
          return;
        }
        if (waiting && isJsonRpcResponse(message)) {
          const id = (message as { id: RequestId }).id;
          waiting.delete(id);
          this.exchanges.delete(id);
          this.sentFor.delete(id);
        }
        if (waiting && isRequest(message)) this.noteAskedFor(message.id, waiting);
        deliverInOrder(message, (delivered) => this.onmessage?.(delivered));
      },
    });
    let ended = false;
    const finish = (): void => {
      if (ended) return;
      ended = true;
      const abandoned = this.abandoned.has(request);
      if (waiting) {
        for (const id of waiting) if (this.exchanges.get(id) === request) this.exchanges.delete(id);
      }
      if (this.closed || abandoned) {
        if (waiting) for (const id of waiting) this.sentFor.delete(id);
        return;
      }
      const unanswered = waiting === undefined || waiting.size > 0;
      if (!unanswered) return;
      // A GET stream that ended is simply re-opened; a POST's answer is resumed a bounded number of times in all.
      if (waiting === undefined) this.scheduleReconnect(lastEventId === undefined ? undefined : { lastEventId, ids: undefined, attempt: 1 }, 1);
      else if (lastEventId !== undefined) {
        const attempt = (stream.resume?.attempt ?? 0) + 1;
        this.scheduleReconnect({ lastEventId, ids: waiting, attempt }, attempt);
      }
    };
    response.on('data', (chunk: Buffer) => parser.push(chunk));
    response.once('end', finish);
    response.once('close', finish);
    response.once('error', (error) => {
      if (!this.closed && !this.abandoned.has(request)) this.onerror?.(new Error(`SSE stream disconnected: ${error.message}`));
      finish();
    });
  }

  /**
   * One HTTP exchange, resolved with the response head. Adds the session headers and the
   * token, retries once after a 401 when the token source offers another token (sendWithToken),
   * and once when a reused keep-alive socket turns out to have been closed by the upstream
   * meanwhile.
   */
  private async exchange(
    method: 'GET' | 'POST' | 'DELETE',
    body: string | undefined,
    extra: Readonly<Record<string, string>>,
    onRequest?: (request: ClientRequest) => void,
  ): Promise<IncomingMessage> {
    if (this.closed) throw new Error('transport closed');
    const { url, server, tokens } = this.options;
    if (!isHostAllowed(url, this.options.allowedHosts())) {
      throw new TypeError(`upstream host ${url.hostname} is not in settings.upstreamAllowedHosts`);
    }
    const send = (token: string | null): Promise<IncomingMessage> => this.once(method, body, this.headersFor(extra, token, body), onRequest);
    if (!tokens) return send(null);
    return sendWithToken(server, tokens, send, (response) => {
      if (response.statusCode !== 401) return null;
      const challenge = response.headers['www-authenticate'];
      return { challenge: typeof challenge === 'string' ? challenge : null, discard: () => response.resume() };
    });
  }

  private headersFor(extra: Readonly<Record<string, string>>, token: string | null, body: string | undefined): OutgoingHttpHeaders {
    // An OAuth token replaces any configured Authorization header.
    const headers: OutgoingHttpHeaders = token === null ? { ...this.configured } : withBearer(this.configured, token);
    if (this.session !== undefined) headers['mcp-session-id'] = this.session;
    if (this.protocol !== undefined) headers['mcp-protocol-version'] = this.protocol;
    Object.assign(headers, extra);
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    return headers;
  }

  private once(
    method: string,
    body: string | undefined,
    headers: OutgoingHttpHeaders,
    onRequest: ((request: ClientRequest) => void) | undefined,
    retried = false,
  ): Promise<IncomingMessage> {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = this.request({ ...this.target, method, headers, agent: this.agent });
      let answered = false;
      this.live.add(request);
      onRequest?.(request);
      request.once('close', () => this.live.delete(request));
      request.once('response', (response) => {
        answered = true;
        resolve(response);
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (answered) return;
        const stale = request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE') && !retried && !this.closed && !this.abandoned.has(request);
        if (stale) resolve(this.once(method, body, headers, onRequest, true));
        else reject(error);
      });
      request.end(body);
    });
  }
}

const ok = (response: IncomingMessage): boolean => (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300;
