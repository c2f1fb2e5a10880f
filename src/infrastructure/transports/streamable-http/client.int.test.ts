import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { waitFor } from '../../../../test/support/proxy';
import { StreamableHttpClientTransport } from './client';

/**
 * A scripted Streamable HTTP upstream on loopback: it answers initialize itself and hands every
 * other POSTed request, and every GET, to the test's `onRequest` / `onStream`, so each test can
 * play one behaviour of a real server (hang, stream, resume, drop a keep-alive socket...).
 */
type Scripted = {
  url: URL;
  posts: Array<{ method: string; headers: IncomingMessage['headers'] }>;
  gets: Array<IncomingMessage['headers']>;
  closedExchanges: number;
  onRequest: (message: { id: number | string; method: string; params?: unknown }, res: ServerResponse, req: IncomingMessage) => void;
  onStream: (res: ServerResponse, req: IncomingMessage) => void;
  server: http.Server;
};

const readJson = (req: IncomingMessage): Promise<JSONRPCMessage> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as JSONRPCMessage));
    req.on('error', reject);
  });

const json = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

const startScripted = async (): Promise<Scripted> => {
  const scripted = {
    posts: [],
    gets: [],
    closedExchanges: 0,
    onRequest: (message, res) => json(res, { jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: 'ok' }] } }),
    onStream: (res) => {
      res.writeHead(405);
      res.end();
    },
  } as Omit<Scripted, 'url' | 'server'> as Scripted;
  scripted.server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      scripted.gets.push(req.headers);
      scripted.onStream(res, req);
      return;
    }
    if (req.method === 'DELETE') {
      res.writeHead(200);
      res.end();
      return;
    }
    void readJson(req).then((message) => {
      const method = 'method' in message ? message.method : '(response)';
      scripted.posts.push({ method, headers: req.headers });
      res.once('close', () => {
        if (!res.writableEnded) scripted.closedExchanges += 1;
      });
      if (method === 'initialize' && 'id' in message) {
        json(
          res,
          { jsonrpc: '2.0', id: message.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'scripted', version: '1' } } },
          { 'mcp-session-id': 'session-1' },
        );
        return;
      }
      if (!('id' in message) || !('method' in message)) {
        res.writeHead(202);
        res.end();
        return;
      }
      scripted.onRequest(message as { id: number; method: string }, res, req);
    });
  });
  await new Promise<void>((resolve) => scripted.server.listen(0, '127.0.0.1', resolve));
  scripted.url = new URL(`http://127.0.0.1:${(scripted.server.address() as AddressInfo).port}/mcp`);
  return scripted;
};

describe('StreamableHttpClientTransport', () => {
  let scripted: Scripted;
  let client: Client;
  let transport: StreamableHttpClientTransport;
  let allowedHosts: string[];

  const connect = async (headers: Record<string, string> = {}): Promise<void> => {
    transport = new StreamableHttpClientTransport({
      url: scripted.url,
      server: { id: 's1', name: 'scripted', url: scripted.url.href },
      headers,
      allowedHosts: () => allowedHosts,
      reconnectInitialMs: 20,
    });
    client = new Client({ name: 'test', version: '1' }, { capabilities: {} });
    await client.connect(transport);
  };
  const call = (timeout = 5_000) => client.request({ method: 'tools/call', params: { name: 't' } }, CallToolResultSchema, { timeout });

  beforeEach(async () => {
    allowedHosts = [];
    scripted = await startScripted();
  });

  afterEach(async () => {
    await client?.close();
    scripted.server.closeAllConnections();
    await new Promise((resolve) => scripted.server.close(resolve));
  });

  it('keeps the session id and protocol version on later requests, with the configured headers', async () => {
    await connect({ 'X-Custom': 'yes' });
    await call();
    const last = scripted.posts.at(-1)!.headers;
    expect(last['mcp-session-id']).toBe('session-1');
    expect(last['mcp-protocol-version']).toBe('2025-06-18');
    expect(last['x-custom']).toBe('yes');
    expect(last.accept).toBe('application/json, text/event-stream');
  });

  it('drops configured headers that would break the framing of a request', async () => {
    await connect({ 'Content-Length': '5', 'Transfer-Encoding': 'chunked', Connection: 'close', 'X-Kept': 'yes' });
    await expect(call()).resolves.toEqual({ content: [{ type: 'text', text: 'ok' }] });
    const last = scripted.posts.at(-1)!.headers;
    expect(last['x-kept']).toBe('yes');
    expect(last['transfer-encoding']).toBeUndefined();
    expect(Number(last['content-length'])).toBeGreaterThan(5);
  });

  it('reads an answer sent as an event stream, with a progress event before it', async () => {
    await connect();
    scripted.onRequest = (message, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const token = (message.params as { _meta?: { progressToken?: number } })._meta?.progressToken;
      res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } })}\n\n`);
      res.end(`data: ${JSON.stringify({ jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: 'streamed' }] } })}\n\n`);
    };
    const progress: number[] = [];
    const result = await client.request({ method: 'tools/call', params: { name: 't' } }, CallToolResultSchema, { onprogress: (p) => progress.push(p.progress) });
    expect(result.content).toEqual([{ type: 'text', text: 'streamed' }]);
    expect(progress).toEqual([1]);
  });

  it('ends the HTTP exchange of a request that timed out, so a hung upstream holds no socket', async () => {
    await connect();
    scripted.onRequest = () => undefined; // never answers
    await expect(call(300)).rejects.toThrow(/timed out/i);
    await waitFor(() => scripted.closedExchanges === 1, 5_000, 'the hung exchange ended', 10);
    expect(scripted.posts.map((post) => post.method)).toContain('notifications/cancelled');
    scripted.onRequest = (message, res) => json(res, { jsonrpc: '2.0', id: message.id, result: { content: [] } });
    await expect(call()).resolves.toEqual({ content: [] });
  });

  it('resumes a POST stream that ended after a priming event with a GET carrying Last-Event-ID', async () => {
    await connect();
    let pending: number | string = -1;
    scripted.onRequest = (message, res) => {
      pending = message.id;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('id: prime-1\nretry: 50\ndata: \n\n');
    };
    scripted.onStream = (res, req) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (req.headers['last-event-id'] === 'prime-1') {
        res.end(`id: prime-2\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: pending, result: { content: [{ type: 'text', text: 'resumed' }] } })}\n\n`);
      }
    };
    const result = await call();
    expect(result.content).toEqual([{ type: 'text', text: 'resumed' }]);
    expect(scripted.gets.some((headers) => headers['last-event-id'] === 'prime-1')).toBe(true);
  });

  it('re-opens the GET stream when the upstream ends it, and delivers what comes on either', async () => {
    let opened = 0;
    scripted.onStream = (res) => {
      opened += 1;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'retry-after': '0' });
      res.write('retry: 50\n\n');
      res.end(`data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })}\n\n`);
    };
    await connect();
    let changes = 0;
    client.setNotificationHandler((await import('@modelcontextprotocol/sdk/types.js')).ToolListChangedNotificationSchema, () => {
      changes += 1;
    });
    await waitFor(() => opened >= 2 && changes >= 2, 5_000, 'the GET stream re-opened', 10);
  });

  it('keeps re-opening the GET stream through upstream failures, however many', async () => {
    let attempts = 0;
    scripted.onStream = (res) => {
      attempts += 1;
      if (attempts <= 4) {
        res.writeHead(503);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })}\n\n`);
    };
    await connect();
    let changes = 0;
    client.setNotificationHandler((await import('@modelcontextprotocol/sdk/types.js')).ToolListChangedNotificationSchema, () => {
      changes += 1;
    });
    await waitFor(() => changes === 1, 5_000, 'the notification after the failures', 10);
    expect(attempts).toBe(5);
  });

  it('stops re-opening the GET stream when the upstream says the session is gone (404)', async () => {
    scripted.onStream = (res) => {
      res.writeHead(404);
      res.end();
    };
    await connect();
    await waitFor(() => scripted.gets.length === 1, 5_000, 'the GET stream opened', 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(scripted.gets.length).toBe(1);
  });

  it('resumes a POST answer a bounded number of times, then lets the request time out', async () => {
    await connect();
    scripted.onRequest = (_message, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('id: prime-1\ndata: \n\n');
    };
    let resumes = 0;
    scripted.onStream = (res, req) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (req.headers['last-event-id'] === undefined) return; // the session's own GET stream: held open
      resumes += 1;
      res.end(`id: resumed-${resumes}\ndata: \n\n`); // never the answer
    };
    await expect(call(1_500)).rejects.toThrow(/timed out/i);
    expect(resumes).toBe(2);
  });

  it('retries once on a fresh socket when a reused keep-alive socket was closed by the upstream', async () => {
    await connect();
    await call();
    // The next request arrives on the kept-alive socket: the upstream drops that socket unanswered.
    const dropped = new Set<unknown>();
    scripted.onRequest = (message, res, req) => {
      if (dropped.size === 0) {
        dropped.add(req.socket);
        req.socket.destroy();
        return;
      }
      json(res, { jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: 'second socket' }] } });
    };
    await expect(call()).resolves.toEqual({ content: [{ type: 'text', text: 'second socket' }] });
    expect(dropped.size).toBe(1);
  });

  it('refuses a redirect instead of following it, and a host taken off the allowlist at the next request', async () => {
    await connect();
    scripted.onRequest = (_message, res) => {
      res.writeHead(307, { location: 'http://127.0.0.1:9/elsewhere' });
      res.end();
    };
    const redirected = await call().catch((error: unknown) => error);
    expect(redirected).toBeInstanceOf(StreamableHTTPError);
    expect((redirected as StreamableHTTPError).code).toBe(307);
    allowedHosts = ['upstream.example'];
    await expect(call()).rejects.toThrow(/not in settings.upstreamAllowedHosts/);
  });

  it('reports a 404 as a StreamableHTTPError with code 404 (the connection re-initialises on it)', async () => {
    await connect();
    scripted.onRequest = (_message, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}');
    };
    const error = await call().catch((failure: unknown) => failure);
    expect((error as StreamableHTTPError).code).toBe(404);
    expect((error as Error).message).toContain('Session not found');
  });

  it('DELETEs the session on terminate and then sends no session id', async () => {
    await connect();
    await transport.terminateSession();
    expect(transport.sessionId).toBeUndefined();
  });
});
