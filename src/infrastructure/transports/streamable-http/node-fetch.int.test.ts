import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { nodeFetch, type NodeFetch } from './node-fetch';

/**
 * The fetch the SDK v2 transport uses for 2026 upstreams, against a real server on loopback:
 * what the server receives, and how answers, redirects and aborts come back compared with the
 * global fetch's on the same requests.
 */
describe('nodeFetch', () => {
  type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string; socket: number };
  const seen: Seen[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  let server: http.Server;
  let base: string;
  let client: NodeFetch;
  const sockets = new WeakMap<object, number>();
  let nextSocket = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (!sockets.has(req.socket)) sockets.set(req.socket, ++nextSocket);
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), socket: sockets.get(req.socket) as number });
        handler(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    seen.length = 0;
    client = nodeFetch();
  });

  afterEach(() => client.close());

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  it('POSTs the body with the headers given and reads a JSON answer, reusing one kept-alive socket', async () => {
    handler = (_req, res) => json(res, 200, { jsonrpc: '2.0', id: 1, result: { ok: true } }, { 'Mcp-Session-Id': 's-1' });
    const headers = new Headers({ 'content-type': 'application/json', 'mcp-method': 'tools/call', 'X-Api-Key': 'k' });
    const first = await client(new URL(`${base}/mcp?x=1`), { method: 'POST', headers, body: '{"a":1}', redirect: 'manual' });
    expect(first).toBeInstanceOf(Response);
    expect([first.status, first.ok, first.headers.get('mcp-session-id'), first.headers.get('content-type'), first.url]).toEqual([200, true, 's-1', 'application/json', `${base}/mcp?x=1`]);
    expect(first.bodyUsed).toBe(false);
    expect(await first.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { ok: true } });
    expect(first.bodyUsed).toBe(true);
    await expect(first.text()).rejects.toThrow(TypeError);
    const second = await client(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', redirect: 'manual' });
    expect(await second.text()).toBe('{"jsonrpc":"2.0","id":1,"result":{"ok":true}}');
    expect(seen.map(({ method, url, body, socket }) => ({ method, url, body, socket }))).toEqual([
      { method: 'POST', url: '/mcp?x=1', body: '{"a":1}', socket: 1 },
      { method: 'POST', url: '/mcp', body: '{}', socket: 1 },
    ]);
    expect(seen[0].headers).toMatchObject({ 'content-type': 'application/json', 'mcp-method': 'tools/call', 'x-api-key': 'k', 'content-length': '7' });
  });

  it('never sends a POST twice when the kept-alive socket it went on was closed after the server read it, and sends a GET once more', async () => {
    let drop = (_req: IncomingMessage): boolean => false;
    handler = (req, res) => (drop(req) ? req.socket.destroy() : json(res, 200, { ok: true }));
    expect(await (await client(`${base}/mcp`, { method: 'POST', body: '1', redirect: 'manual' })).json()).toEqual({ ok: true });
    // The server drops whatever comes on the first socket from now on, after reading it: it may have run it.
    const first = seen[0].socket;
    drop = (req) => sockets.get(req.socket) === first;
    await expect(client(`${base}/mcp`, { method: 'POST', body: '2', redirect: 'manual' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNRESET' } });
    expect(seen.map(({ body, socket }) => [body, socket === first])).toEqual([['1', true], ['2', true]]);
    // A GET is safe to send again: once, on a fresh socket.
    seen.length = 0;
    expect(await (await client(`${base}/mcp`, { method: 'POST', body: '3', redirect: 'manual' })).json()).toEqual({ ok: true });
    const second = seen[0].socket;
    drop = (req) => sockets.get(req.socket) === second;
    expect(await (await client(`${base}/mcp`, { method: 'GET', redirect: 'manual' })).json()).toEqual({ ok: true });
    expect(seen.map(({ method, socket }) => [method, socket === second])).toEqual([['POST', true], ['GET', true], ['GET', false]]);
    // A GET that fails again after the retry fails the request.
    drop = () => true;
    seen.length = 0;
    await expect(client(`${base}/mcp`, { method: 'GET', redirect: 'manual' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNRESET' } });
    expect(seen.map(({ method }) => method)).toEqual(['GET', 'GET']);
  });

  it('sends a POST once more on a fresh socket when the kept-alive one was reset before the request was written to it', async () => {
    let last: IncomingMessage['socket'] | undefined;
    handler = (req, res) => {
      last = req.socket;
      json(res, 200, { ok: true });
    };
    expect(await (await client(`${base}/mcp`, { method: 'POST', body: '1', redirect: 'manual' })).json()).toEqual({ ok: true });
    // The server resets the idle socket just as the next request is made: it finds the socket in the pool, and fails writing to it.
    (last as unknown as { resetAndDestroy: () => void }).resetAndDestroy();
    const again = client(`${base}/mcp`, { method: 'POST', body: '2', redirect: 'manual' });
    expect(await (await again).json()).toEqual({ ok: true });
    expect(seen.map(({ body, socket }) => [body, socket])).toEqual([['1', seen[0].socket], ['2', seen[0].socket + 1]]);
  });

  it('closes a kept-alive socket left idle past the free socket timeout, so the next request goes on a fresh one', async () => {
    const brief = nodeFetch({ freeSocketTimeoutMs: 100 });
    try {
      handler = (_req, res) => json(res, 200, { ok: true });
      await (await brief(`${base}/mcp`, { method: 'POST', body: '1', redirect: 'manual' })).json();
      await (await brief(`${base}/mcp`, { method: 'POST', body: '2', redirect: 'manual' })).json();
      await new Promise((resolve) => setTimeout(resolve, 400));
      await (await brief(`${base}/mcp`, { method: 'POST', body: '3', redirect: 'manual' })).json();
      const [one, two, three] = seen.map(({ socket }) => socket);
      expect([two === one, three === one]).toEqual([true, false]);
    } finally {
      brief.close();
    }
  });

  it('hands back an error status with its body, and an empty 202', async () => {
    handler = (req, res) => (req.url === '/accepted' ? res.writeHead(202).end() : json(res, 404, { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'nope' } }));
    const refused = await client(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual' });
    expect([refused.status, refused.ok]).toEqual([404, false]);
    expect(JSON.parse(await refused.text())).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'nope' } });
    const accepted = await client(`${base}/accepted`, { method: 'POST', body: '{}', redirect: 'manual' });
    expect([accepted.status, await accepted.text()]).toEqual([202, '']);
  });

  it("returns a redirect as it is under 'manual' and fails as fetch does under 'error'", async () => {
    handler = (_req, res) => res.writeHead(307, { Location: '/elsewhere' }).end();
    const manual = await client(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual' });
    expect([manual.status, manual.headers.get('location')]).toEqual([307, '/elsewhere']);
    await expect(client(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'error' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    await expect(fetch(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'error' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    // Following is left to fetch itself, which follows until it gives up (every answer here is a 307).
    await expect(client(`${base}/mcp`, { method: 'GET' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(seen.filter(({ url }) => url === '/elsewhere').length).toBeGreaterThan(1);
  });

  it('streams an event-stream answer as it comes, and ends it when the signal aborts', async () => {
    let stream: ServerResponse | undefined;
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('event: message\ndata: {"n":1}\n\n');
      stream = res;
    };
    const abort = new AbortController();
    const response = await client(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual', signal: abort.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('event: message\ndata: {"n":1}\n\n');
    const closed = new Promise((resolve) => stream?.once('close', resolve));
    abort.abort();
    await expect(reader.read()).rejects.toThrow(/abort/i);
    await closed;
  });

  it('rejects with the abort reason when the signal aborts before the answer, and ends the request', async () => {
    const arrived = new Promise<ServerResponse>((resolve) => (handler = (_req, res) => resolve(res)));
    const abort = new AbortController();
    const pending = client(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual', signal: abort.signal });
    const res = await arrived;
    const closed = new Promise((resolve) => res.once('close', resolve));
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await closed;
    const already = new AbortController();
    already.abort(new Error('gone'));
    await expect(client(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual', signal: already.signal })).rejects.toThrow('gone');
  });

  it('fails as fetch does when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(client(`http://127.0.0.1:${port}/mcp`, { method: 'POST', body: '{}', redirect: 'manual' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });

  /** A server that answers every request on a connection with `raw`, as it is, and closes. */
  const rawServer = async (raw: string): Promise<{ url: string; close: () => Promise<void> }> => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => socket.end(raw));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const close = async (): Promise<void> => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    };
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, close };
  };

  it.each([
    ['a status above 599', 'HTTP/1.1 600 Odd\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 'RangeError'],
    ['a status above 599 on an event stream', 'HTTP/1.1 600 Odd\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\n', 'RangeError'],
    ['a reason phrase with a control character', 'HTTP/1.1 200 O\x01K\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 'TypeError'],
    ['a reason phrase with a control character on an event stream', 'HTTP/1.1 200 O\x7fK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\n', 'TypeError'],
  ])('fails as fetch does on %s, and the process lives on', async (_what, raw, cause) => {
    const upstream = await rawServer(raw);
    try {
      await expect(client(upstream.url, { method: 'POST', body: '{}', redirect: 'manual' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { name: cause } });
    } finally {
      await upstream.close();
    }
  });

  it.each([
    ['204 with an event-stream type', 'HTTP/1.1 204 No Content\r\nContent-Type: text/event-stream\r\n\r\n', 204],
    ['205 with a JSON type and a body', 'HTTP/1.1 205 Reset Content\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 205],
    ['304 with an event-stream type', 'HTTP/1.1 304 Not Modified\r\nContent-Type: text/event-stream\r\n\r\n', 304],
  ])('answers %s as a Response without a body', async (_what, raw, status) => {
    const upstream = await rawServer(raw);
    try {
      const response = await client(upstream.url, { method: 'POST', body: '{}', redirect: 'manual' });
      expect([response.status, response.body, response.bodyUsed, await response.text()]).toEqual([status, null, false, '']);
    } finally {
      await upstream.close();
    }
  });

  it('sends a header value that is not a string as its text, and a name given twice with both values', async () => {
    handler = (_req, res) => json(res, 200, {});
    const headers = [
      ['X-Count', 3],
      ['X-Twice', 'a'],
      ['x-twice', 'b'],
    ] as unknown as [string, string][];
    await (await client(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual', headers })).text();
    await (await client(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual', headers: { 'X-Count': 4 } as unknown as Record<string, string> })).text();
    expect(seen.map(({ headers: seenHeaders }) => [seenHeaders['x-count'], seenHeaders['x-twice']])).toEqual([
      ['3', 'a, b'],
      ['4', undefined],
    ]);
  });

  it('fails as fetch does when no answer head comes within the headers timeout, and ends the request', async () => {
    const arrived = new Promise<ServerResponse>((resolve) => (handler = (_req, res) => resolve(res)));
    const brief = nodeFetch({ headersTimeoutMs: 300 });
    try {
      const pending = brief(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual' });
      const res = await arrived;
      const closed = new Promise((resolve) => res.once('close', resolve));
      await expect(pending).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'UND_ERR_HEADERS_TIMEOUT' } });
      await closed;
    } finally {
      brief.close();
    }
  });

  it('fails a body that stops coming for the body timeout, and lets an event stream live on while its bytes come', async () => {
    const brief = nodeFetch({ bodyTimeoutMs: 300 });
    try {
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 100 });
        res.write('{"jsonrpc":');
      };
      await expect(brief(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'UND_ERR_BODY_TIMEOUT' } });
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        let sent = 0;
        const tick = setInterval(() => {
          res.write(`data: ${++sent}\n\n`);
          if (sent === 6) clearInterval(tick);
        }, 100);
        res.once('close', () => clearInterval(tick));
      };
      const response = await brief(`${base}/mcp`, { method: 'POST', body: '{}', redirect: 'manual' });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!text.includes('data: 6')) text += new TextDecoder().decode((await reader.read()).value);
      // Six events over 600 ms, twice the body timeout: all read. Then silence ends it.
      expect(text).toContain('data: 1\n\ndata: 2');
      await expect(reader.read()).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
    } finally {
      brief.close();
    }
  });
});
