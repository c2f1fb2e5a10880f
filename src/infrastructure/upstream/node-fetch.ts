import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

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

  constructor(bytes: Buffer, init: ResponseInit, url: string) {
    super(null, init);
    this.#bytes = bytes;
    this.#url = url;
  }

  get url(): string {
    return this.#url;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream === undefined) {
      const bytes = this.#take();
      this.#stream = Readable.toWeb(Readable.from([bytes])) as unknown as ReadableStream<Uint8Array>;
    }
    return this.#stream;
  }

  get bodyUsed(): boolean {
    return this.#bytes === undefined;
  }

  #take(): Buffer {
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

const headersOf = (init: RequestInit['headers']): OutgoingHttpHeaders => {
  const headers: OutgoingHttpHeaders = {};
  if (init === undefined) return headers;
  const entries = init instanceof Headers ? init.entries() : Array.isArray(init) ? init : Object.entries(init);
  for (const [name, value] of entries) headers[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
  return headers;
};

const responseHeaders = (response: IncomingMessage): [string, string][] => {
  const raw = response.rawHeaders;
  const pairs: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
};

const readAll = (response: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BUFFERED_BODY) {
        response.destroy(new Error(`upstream answer larger than ${MAX_BUFFERED_BODY} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    response.once('error', reject);
    response.once('close', () => {
      if (!response.complete) reject(new Error('upstream closed the answer before its end'));
    });
  });

/** What fetch rejects with when its signal aborts: the signal's reason. */
const abortReason = (signal: AbortSignal): unknown => signal.reason ?? new DOMException('This operation was aborted', 'AbortError');

const bodyOf = (body: RequestInit['body']): string | Uint8Array | undefined => {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new TypeError('this fetch sends only string and byte bodies');
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
export const nodeFetch = (): NodeFetch => {
  const agents = { 'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo' }), 'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo' }) };
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
    const options: http.RequestOptions = {
      protocol: target.protocol,
      // An IPv6 literal is bracketed in a URL but not in request options.
      hostname: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
      port: target.port === '' ? undefined : Number(target.port),
      path: `${target.pathname}${target.search}`,
      method: init.method ?? 'GET',
      headers: headersOf(init.headers),
      agent: secure ? agents['https:'] : agents['http:'],
    };
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let request: ClientRequest;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = (): void => {
        const reason = abortReason(signal as AbortSignal);
        fail(reason);
        request.destroy();
      };
      const answer = (response: IncomingMessage): void => {
        const status = response.statusCode ?? 0;
        if (redirect === 'error' && REDIRECT_STATUSES.has(status)) {
          response.destroy();
          fail(new TypeError('fetch failed', { cause: new Error('unexpected redirect') }));
          return;
        }
        const responseInit: ResponseInit = { status, statusText: response.statusMessage ?? '', headers: responseHeaders(response) };
        if (mediaType(response.headers['content-type']) === 'text/event-stream') {
          settled = true;
          // The stream ends with the signal, as a fetch body does; from here the reader owns it.
          signal?.removeEventListener('abort', onAbort);
          const onStreamAbort = (): void => {
            response.destroy(abortReason(signal as AbortSignal) as Error);
          };
          signal?.addEventListener('abort', onStreamAbort, { once: true });
          response.once('close', () => signal?.removeEventListener('abort', onStreamAbort));
          resolve(new StreamedResponse(Readable.toWeb(response) as WebReadableStream<Uint8Array> as unknown as ReadableStream<Uint8Array>, responseInit, target.href) as unknown as Response);
          return;
        }
        readAll(response).then((bytes) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(new BufferedResponse(bytes, responseInit, target.href) as unknown as Response);
        }, (error: unknown) => fail(new TypeError('fetch failed', { cause: error })));
      };
      /**
       * A kept-alive socket the upstream closed while it was idle (its keep-alive timeout) fails
       * the request written on it before any answer: the upstream never read it, so it is sent
       * once more on a fresh socket, as the 2025 transport does.
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
          fail(new TypeError('fetch failed', { cause: error }));
          return;
        }
        request.once('error', (error: NodeJS.ErrnoException) => {
          const stale = !answered && !retried && !settled && request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
          if (stale) start(true);
          else fail(new TypeError('fetch failed', { cause: error }));
        });
        request.end(body);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
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
