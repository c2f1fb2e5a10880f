import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { readBody } from '../http-body';

/** A fetch as the SDK v2 transport takes it. */
export type NodeFetch = ((url: string | URL, init?: RequestInit) => Promise<Response>) & Readonly<{ close: () => void }>;

/** An upstream answer larger than this is refused rather than buffered (as the 2025 transport does). */
const MAX_BUFFERED_BODY = 64 * 1024 * 1024;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0].trim().toLowerCase();

/**
 * Response, as a base class: the DOM typings declare its members as properties, which a
 * subclass could not override with accessors and methods.
 */
const ResponseBase = Response as unknown as new (body: ReadableStream<Uint8Array> | null, init: ResponseInit) => object;

/** Node's web ReadableStream is the one Response takes at run time; the two typings declare them apart. */
const toWebStream = (readable: Readable): ReadableStream<Uint8Array> => Readable.toWeb(readable) as WebReadableStream<Uint8Array> as unknown as ReadableStream<Uint8Array>;

/**
 * A Response whose body was read before it was made: `text()`, `json()` and `arrayBuffer()`
 * answer from those bytes, with none of the web stream machinery a Response body otherwise costs
 * (a stream, its reader and a transferable wrapper per answer). `body` makes a stream of them
 * when asked. A body is read once, as with any Response.
 */
class BufferedResponse extends ResponseBase {
  #bytes: Buffer | undefined;
  #stream: ReadableStream<Uint8Array> | null | undefined;
  readonly #url: string;
  /** An answer without a body (a null body status): `body` is null and text() is ''. */
  readonly #none: boolean;

  constructor(bytes: Buffer | null, init: ResponseInit, url: string) {
    super(null, init);
    this.#none = bytes === null;
    this.#bytes = bytes ?? undefined;
    this.#url = url;
  }

  get url(): string {
    return this.#url;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#none) return null;
    if (this.#stream === undefined) {
      const bytes = this.#take();
      this.#stream = toWebStream(Readable.from([bytes]));
    }
    return this.#stream;
  }

  get bodyUsed(): boolean {
    return !this.#none && this.#bytes === undefined;
  }

  #take(): Buffer {
    if (this.#none) return Buffer.alloc(0);
    const bytes = this.#bytes;
    if (bytes === undefined) throw new TypeError('Body is unusable: Body has already been read');
    this.#bytes = undefined;
    return bytes;
  }

  async text(): Promise<string> {
    return this.#take().toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.#take().toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}

/** A streamed Response (an event stream) that reports the URL it was fetched from, as fetch's do. */
class StreamedResponse extends ResponseBase {
  readonly #url: string;
  constructor(body: ReadableStream<Uint8Array>, init: ResponseInit, url: string) {
    super(body, init);
    this.#url = url;
  }
  get url(): string {
    return this.#url;
  }
}

/** Both are Responses at run time: only their base's typing (see ResponseBase) says `object`. */
const asResponse = (response: BufferedResponse | StreamedResponse): Response => response as unknown as Response;

/**
 * The request's headers for http.request, named in lower case. A value that is not a string is
 * sent as its text (as Headers does), and a name given twice (as pairs) sends both values joined
 * with ', ', as Headers joins them.
 */
const headersOf = (init: RequestInit['headers']): OutgoingHttpHeaders => {
  const headers: Record<string, string> = {};
  if (init === undefined) return headers;
  const entries: Iterable<readonly [string, unknown]> = init instanceof Headers ? init.entries() : Array.isArray(init) ? (init as [string, unknown][]) : Object.entries(init);
  for (const [name, value] of entries) {
    const key = String(name).toLowerCase();
    const text = String(value);
    const prior = headers[key];
    headers[key] = prior === undefined ? text : `${prior}, ${text}`;
  }
  return headers;
};

/** The statuses whose answer has no body (fetch's null body statuses; 101 never reaches here). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/** What fetch rejects with when the request fails or its answer cannot be made a Response. */
const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });

const responseHeaders = (response: IncomingMessage): [string, string][] => {
  const raw = response.rawHeaders;
  const pairs: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
};

/** What fetch rejects with when its signal aborts: the signal's reason. */
const abortReason = (signal: AbortSignal): unknown => signal.reason ?? new DOMException('This operation was aborted', 'AbortError');

const bodyOf = (body: RequestInit['body']): string | Uint8Array | undefined => {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new TypeError('this fetch sends only string and byte bodies');
};

/** The methods a request may be sent twice with (RFC 9110 safe methods). */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * The longest a kept-alive socket waits idle for its next request: below the keep-alive timeout
 * servers commonly have (Node's 5 s), so the upstream seldom closes a socket this side would reuse.
 */
const FREE_SOCKET_TIMEOUT_MS = 4_000;

/**
 * As undici's fetch: an answer whose head has not come this long after the request fails, and so
 * does one whose body goes this long without a byte (an event stream may last any time while
 * bytes come, and is not timed while its reader is not reading).
 */
export const HEADERS_TIMEOUT_MS = 300_000;
const BODY_TIMEOUT_MS = 300_000;

export type NodeFetchSettings = Readonly<{ freeSocketTimeoutMs?: number; headersTimeoutMs?: number; bodyTimeoutMs?: number }>;

const timeoutError = (what: string, ms: number, code: string): Error => Object.assign(new Error(`${what} within ${ms} ms`), { code });

/** Ends `response` once it goes `ms` without a byte while it is read. */
const boundIdleBody = (response: IncomingMessage, ms: number): void => {
  const timer = setTimeout(() => {
    if (response.isPaused()) timer.refresh();
    else response.destroy(timeoutError('no bytes of the upstream answer', ms, 'UND_ERR_BODY_TIMEOUT'));
  }, ms);
  timer.unref();
  response.on('data', () => timer.refresh());
  response.once('close', () => clearTimeout(timer));
};

/**
 * An agent whose idle sockets are closed after `freeMs` (or sooner, by the server's Keep-Alive
 * hint, as Node does) and whose sockets in use have no idle timeout: the agent closes an idle
 * socket on its 'timeout'; a socket in use only reports it, and is given none.
 */
const idleBounded = <A extends http.Agent>(agent: A, freeMs: number): A => {
  const keep = agent.keepSocketAlive.bind(agent);
  const reuse = agent.reuseSocket.bind(agent);
  // The agents' sockets are net.Sockets (TLS ones included); the typings promise only a Duplex.
  agent.keepSocketAlive = (socket) => {
    const kept = keep(socket);
    if (socket instanceof net.Socket && (!socket.timeout || socket.timeout > freeMs)) socket.setTimeout(freeMs);
    return kept;
  };
  agent.reuseSocket = (socket, request) => {
    if (socket instanceof net.Socket) socket.setTimeout(0);
    reuse(socket, request);
  };
  return agent;
};

/**
 * fetch on Node's own `http.request` with a keep-alive agent, for the SDK v2 client's transport
 * to a Streamable HTTP upstream: undici's fetch costs the gateway several hundred microseconds of
 * CPU per call more (a Request and its clone with a tee'd body stream per call, the body written
 * as an iterable in several syscalls, a web stream per answer). What the upstream sees is the same
 * POST (Node adds no Accept-Encoding, User-Agent or Sec-Fetch headers, and sends the body with
 * its headers in one write).
 *
 * The SDK always asks for `redirect: 'manual'` (it follows same-origin redirects itself) and the
 * host allowlist asks for `'error'`; those two are served here: a 3xx is returned as it is, or
 * fails as fetch fails. A request that would have fetch follow redirects goes to fetch itself.
 * An event stream answer is streamed; any other answer is read whole (at most 64 MiB) first.
 */
export const nodeFetch = (settings: NodeFetchSettings = {}): NodeFetch => {
  const freeSocketTimeoutMs = settings.freeSocketTimeoutMs ?? FREE_SOCKET_TIMEOUT_MS;
  const headersTimeoutMs = settings.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const bodyTimeoutMs = settings.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
  const agents = {
    'http:': idleBounded(new http.Agent({ keepAlive: true, scheduling: 'lifo' }), freeSocketTimeoutMs),
    'https:': idleBounded(new https.Agent({ keepAlive: true, scheduling: 'lifo' }), freeSocketTimeoutMs),
  };
  const send = (url: string | URL, init: RequestInit = {}): Promise<Response> => {
    const target = typeof url === 'string' ? new URL(url) : url;
    const redirect = init.redirect ?? 'follow';
    if (redirect === 'follow' || (target.protocol !== 'http:' && target.protocol !== 'https:')) return fetch(url, init);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const secure = target.protocol === 'https:';
    let body: string | Uint8Array | undefined;
    try {
      body = bodyOf(init.body);
    } catch (error) {
      return Promise.reject(error);
    }
    let headers: OutgoingHttpHeaders;
    try {
      headers = headersOf(init.headers);
    } catch (error) {
      return Promise.reject(fetchFailed(error));
    }
    const method = (init.method ?? 'GET').toUpperCase();
    const options: http.RequestOptions = {
      protocol: target.protocol,
      // An IPv6 literal is bracketed in a URL but not in request options.
      hostname: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
      port: target.port === '' ? undefined : Number(target.port),
      path: `${target.pathname}${target.search}`,
      method,
      headers,
      agent: secure ? agents['https:'] : agents['http:'],
    };
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let request: ClientRequest;
      let headersTimer: NodeJS.Timeout | undefined;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(headersTimer);
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = (): void => {
        const reason = abortReason(signal as AbortSignal);
        fail(reason);
        request.destroy();
      };
      const answer = (response: IncomingMessage): void => {
        clearTimeout(headersTimer);
        boundIdleBody(response, bodyTimeoutMs);
        const status = response.statusCode ?? 0;
        if (redirect === 'error' && REDIRECT_STATUSES.has(status)) {
          response.destroy();
          fail(fetchFailed(new Error('unexpected redirect')));
          return;
        }
        const responseInit: ResponseInit = { status, statusText: response.statusMessage ?? '', headers: responseHeaders(response) };
        /**
         * An answer a Response cannot be made of (a status outside 200-599, a reason phrase or
         * header it refuses) fails the request, as fetch fails it: thrown here it would escape
         * Node's 'response' callback (or the body's promise) and end the gateway.
         */
        const settle = (make: () => Response): boolean => {
          if (settled) return false;
          let made: Response;
          try {
            made = make();
          } catch (error) {
            response.destroy();
            fail(fetchFailed(error));
            return false;
          }
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(made);
          return true;
        };
        if (NULL_BODY_STATUSES.has(status)) {
          // Whatever the upstream sent after the head is not a body: read and dropped.
          response.resume();
          settle(() => asResponse(new BufferedResponse(null, responseInit, target.href)));
          return;
        }
        if (mediaType(response.headers['content-type']) === 'text/event-stream') {
          const streamed = settle(() => asResponse(new StreamedResponse(toWebStream(response), responseInit, target.href)));
          if (!streamed) return;
          // The stream ends with the signal, as a fetch body does; from here the reader owns it.
          const onStreamAbort = (): void => {
            response.destroy(abortReason(signal as AbortSignal) as Error);
          };
          signal?.addEventListener('abort', onStreamAbort, { once: true });
          response.once('close', () => signal?.removeEventListener('abort', onStreamAbort));
          return;
        }
        readBody(response, MAX_BUFFERED_BODY).then(
          (bytes) => settle(() => asResponse(new BufferedResponse(bytes, responseInit, target.href))),
          (error: unknown) => fail(fetchFailed(error)),
        );
      };
      /**
       * A kept-alive socket the upstream closed while it was idle (its keep-alive timeout) fails
       * the request written on it. The request is sent once more on a fresh socket only when the
       * upstream cannot have acted on it: no answer had begun, and either writing the request
       * failed (the socket was already reset: the upstream did not receive it whole), or its
       * method is safe (GET, HEAD). A POST that was written and then met a closed socket may have
       * been read whole and run (a tool call): it fails, never sent twice. ('finish' is no proof
       * of delivery: Node emits it even when the write then fails.) A socket
       * is kept idle for FREE_SOCKET_TIMEOUT_MS at most, below the usual upstream keep-alive
       * timeout, so a POST seldom meets a socket the upstream already closed.
       */
      const start = (retried: boolean): void => {
        let answered = false;
        try {
          request = (secure ? https : http).request(options, (response) => {
            answered = true;
            answer(response);
          });
        } catch (error) {
          // Options Node refuses (a header value it cannot send): fetch's TypeError.
          fail(fetchFailed(error));
          return;
        }
        request.once('error', (error: NodeJS.ErrnoException) => {
          const stale = !answered && !retried && !settled && request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
          // A failed write: the upstream did not receive the request whole, so it cannot have run it.
          if (stale && (error.syscall === 'write' || SAFE_METHODS.has(method))) start(true);
          else fail(fetchFailed(error));
        });
        request.end(body);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      headersTimer = setTimeout(() => {
        fail(fetchFailed(timeoutError('no answer head', headersTimeoutMs, 'UND_ERR_HEADERS_TIMEOUT')));
        request.destroy();
      }, headersTimeoutMs);
      headersTimer.unref();
      start(false);
    });
  };
  return Object.assign(send, {
    close: () => {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  });
};
