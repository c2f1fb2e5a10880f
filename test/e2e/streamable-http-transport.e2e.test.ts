import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { openStream } from '../support/mcp-streams';
import { createProfile, initializeRequest, PROBE_SERVER, rawMcp, rawSession, registerStdioServer, resultText, sessionHeaders, waitFor } from '../support/proxy';

/**
 * The gateway's own Streamable HTTP transport, seen from the wire: JSON answers whenever
 * nothing has to be streamed, SSE when a call reports progress, the SDK's refusals, one GET
 * stream per session, and clients that go away mid-call.
 */

type ProbeStats = { cancelled: { tag: string | null }[] };

const call = (id: number | string, name: string, args: object = {}, meta?: object) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta === undefined ? {} : { _meta: meta }) },
});

/** The `data:` payloads of a complete SSE body, parsed. */
const eventsOf = (text: string): unknown[] =>
  text
    .split('\n\n')
    .filter((frame) => frame.startsWith('event: message\n'))
    .map((frame) => JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as unknown);

describe('Streamable HTTP transport', () => {
  let gh: TestGatehouse;
  let endpoint: string;
  let sessionId: string;
  const clients: Client[] = [];

  const post = (body: unknown, headers: Record<string, string> = {}) => rawMcp(endpoint, { body, headers: { ...sessionHeaders(sessionId), ...headers } });
  const stats = async (): Promise<ProbeStats> => JSON.parse(resultText((await post(call('stats', 'probe__stats'))).json.result)) as ProbeStats;
  /** Whether `id` is still taken by a request in flight on the session (the gateway refuses to reuse it). */
  const idInUse = async (id: number): Promise<boolean> => (await post({ jsonrpc: '2.0', id, method: 'ping' })).status === 400;

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'tx']);
    await createProfile(gh, 'tx', ['probe'], { auth: { apiKey: false } });
    endpoint = `${gh.url}/mcp/tx`;
    sessionId = await rawSession(endpoint);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
  });

  describe('answers', () => {
    it('answers a call that reports nothing as one JSON object, with the session id', async () => {
      const response = await post(call(1, 'probe__whoami'));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('mcp-session-id')).toBe(sessionId);
      expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(response.text));
      expect(response.json).toEqual({ jsonrpc: '2.0', id: 1, result: expect.objectContaining({ content: expect.any(Array) }) });
      expect(JSON.parse(resultText(response.json.result))).toEqual(expect.objectContaining({ label: 'tx' }));
    });

    it('streams a call that reports progress: the progress, then the result, then the end', async () => {
      const response = await post(call(2, 'probe__wait', { ms: 50 }, { progressToken: 'p-2' }));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      expect(response.headers.get('mcp-session-id')).toBe(sessionId);
      expect(eventsOf(response.text)).toEqual([
        { jsonrpc: '2.0', method: 'notifications/progress', params: expect.objectContaining({ progressToken: 'p-2', progress: 0 }) },
        { jsonrpc: '2.0', id: 2, result: expect.objectContaining({ content: [expect.objectContaining({ text: 'waited' })] }) },
      ]);
    });

    it('answers a batch with an array in request order, even of one response', async () => {
      const batch = await post([
        { jsonrpc: '2.0', id: 'b', method: 'tools/list' },
        { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
        { jsonrpc: '2.0', id: 'a', method: 'ping' },
      ]);
      expect([batch.status, batch.headers.get('content-type')]).toEqual([200, 'application/json']);
      expect((batch.json as { id: string }[]).map((response) => response.id)).toEqual(['b', 'a']);
      const single = await post([{ jsonrpc: '2.0', id: 3, method: 'ping' }]);
      expect(single.json).toEqual([{ jsonrpc: '2.0', id: 3, result: {} }]);
    });

    it('answers notifications and responses alone with 202 and no body', async () => {
      const notification = await post({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
      expect([notification.status, notification.text, notification.headers.get('mcp-session-id')]).toEqual([202, '', sessionId]);
      const response = await post({ jsonrpc: '2.0', id: 'never-asked', result: {} });
      expect([response.status, response.text]).toEqual([202, '']);
    });

    it('serves the SDK client both ways: plain calls, and calls with progress', async () => {
      const client = await connectClient(gh.url, 'tx');
      clients.push(client);
      expect(JSON.parse(resultText(await client.callTool({ name: 'probe__whoami', arguments: {} })))).toEqual(expect.objectContaining({ label: 'tx' }));
      const updates: Progress[] = [];
      const result = await client.callTool({ name: 'probe__wait', arguments: { ms: 50 } }, undefined, { onprogress: (progress) => updates.push(progress) });
      expect(resultText(result)).toBe('waited');
      expect(updates).toEqual([expect.objectContaining({ progress: 0, message: 'started' })]);
    });
  });

  describe('refusals', () => {
    it.each([
      ['an Accept without text/event-stream', call(10, 'probe__whoami'), { accept: 'application/json' }, 406, -32000],
      ['a text/plain body', call(11, 'probe__whoami'), { 'content-type': 'text/plain' }, 415, -32000],
      ['a batch of 101 messages', Array.from({ length: 101 }, (_, index) => ({ jsonrpc: '2.0', id: 100 + index, method: 'ping' })), {}, 400, -32600],
      ['a fractional request id', { jsonrpc: '2.0', id: 1.5, method: 'ping' }, {}, 400, -32700],
      ['a message with an unknown key', { jsonrpc: '2.0', id: 12, method: 'ping', extra: true }, {}, 400, -32700],
      ['an unsupported protocol version', call(13, 'probe__whoami'), { 'mcp-protocol-version': '1999-01-01' }, 400, -32000],
      ['a second initialize', initializeRequest(14), {}, 400, -32600],
      ['one request id twice in a batch', [{ jsonrpc: '2.0', id: 15, method: 'ping' }, { jsonrpc: '2.0', id: 15, method: 'ping' }], {}, 400, -32600],
    ])('refuses %s', async (_what, body, headers, status, code) => {
      const response = await post(body, headers as Record<string, string>);
      expect(response.status).toBe(status);
      expect(response.json).toEqual({ jsonrpc: '2.0', id: null, error: { code, message: expect.any(String) } });
    });

    it('refuses an initialize it cannot take before opening a session for it', async () => {
      const before = gh.gateway.sessions.size;
      const refused = await rawMcp(endpoint, { body: initializeRequest(), headers: { accept: 'application/json' } });
      const batch = await rawMcp(endpoint, { body: [initializeRequest(), { jsonrpc: '2.0', id: 2, method: 'ping' }] });
      expect([refused.status, batch.status]).toEqual([406, 400]);
      expect(batch.json.error.message).toBe('Invalid Request: Only one initialization request is allowed');
      expect(gh.gateway.sessions.size).toBe(before);
    });

    it('opens no session for an initialize sent as a notification (no id)', async () => {
      const before = gh.gateway.sessions.size;
      const { id: _id, ...notification } = initializeRequest();
      const response = await rawMcp(endpoint, { body: notification });
      expect(response.status).toBe(400);
      expect(response.json.error.message).toBe('Bad Request: Mcp-Session-Id header is required');
      expect(response.headers.get('mcp-session-id')).toBeNull();
      expect(gh.gateway.sessions.size).toBe(before);
    });

    it('answers other methods with 405 and the methods it serves', async () => {
      const response = await rawMcp(endpoint, { method: 'PUT', body: call(1, 'x'), headers: sessionHeaders(sessionId) });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, POST, DELETE');
      expect(response.json.error.code).toBe(-32000);
    });

    it('does not take the id of a legacy SSE session (404, not a 500)', async () => {
      const legacy = await openStream(`${endpoint}/sse`, {}, {}, true);
      try {
        const legacyId = new URL(legacy.endpoint as string).searchParams.get('sessionId') as string;
        const response = await rawMcp(endpoint, { body: call(1, 'probe__whoami'), headers: sessionHeaders(legacyId) });
        expect(response.status).toBe(404);
        const crossed = await rawMcp(`${endpoint}/messages?sessionId=${sessionId}`, { body: call(1, 'probe__whoami') });
        expect(crossed.status).toBe(404);
      } finally {
        legacy.close();
      }
    });
  });

  describe('the GET stream', () => {
    it('allows one stream per session, and another once it is closed', async () => {
      const own = await rawSession(endpoint);
      const first = await openStream(endpoint, {}, sessionHeaders(own));
      expect(first.status).toBe(200);
      const second = await rawMcp(endpoint, { method: 'GET', headers: { ...sessionHeaders(own), accept: 'text/event-stream' } });
      expect(second.status).toBe(409);
      expect(second.json.error).toEqual({ code: -32000, message: 'Conflict: Only one SSE stream is allowed per session' });
      first.close();
      await first.ended;
      const third = await waitFor(async () => {
        const stream = await openStream(endpoint, {}, sessionHeaders(own));
        return stream.status === 200 ? stream : undefined;
      }, 3_000, 'a new GET stream once the first is gone');
      third.close();
    });

    it('refuses a GET that does not accept text/event-stream (406)', async () => {
      const response = await rawMcp(endpoint, { method: 'GET', headers: { ...sessionHeaders(sessionId), accept: 'application/json' } });
      expect(response.status).toBe(406);
    });
  });

  describe('session end', () => {
    it('on DELETE ends the GET stream, answers calls still open, and then answers 404', async () => {
      const own = await rawSession(endpoint);
      const stream = await openStream(endpoint, {}, sessionHeaders(own));
      const pending = rawMcp(endpoint, { body: call(20, 'probe__wait', { ms: 10_000, tag: 'deleted' }), headers: sessionHeaders(own) });
      // The wait is in flight once its id is taken on the session.
      await waitFor(async () => (await rawMcp(endpoint, { body: { jsonrpc: '2.0', id: 20, method: 'ping' }, headers: sessionHeaders(own) })).status === 400, 3_000, 'the wait in flight');
      const deleted = await rawMcp(endpoint, { method: 'DELETE', headers: sessionHeaders(own) });
      expect(deleted.status).toBe(200);
      await stream.ended;
      const answer = await pending;
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ jsonrpc: '2.0', id: 20, error: { code: -32000, message: 'Connection closed' } });
      expect((await rawMcp(endpoint, { body: call(21, 'probe__whoami'), headers: sessionHeaders(own) })).status).toBe(404);
      expect(gh.gateway.sessions.has(own)).toBe(false);
    });

    it('SDK terminateSession works on it', async () => {
      const client = await connectClient(gh.url, 'tx');
      const transport = client.transport as StreamableHTTPClientTransport;
      const id = transport.sessionId as string;
      expect(gh.gateway.sessions.has(id)).toBe(true);
      await transport.terminateSession();
      expect(gh.gateway.sessions.has(id)).toBe(false);
      await client.close();
    });
  });

  describe('cancellation', () => {
    it('ends the answer of a request the client cancels, which gets no response', async () => {
      const pending = post(call(40, 'probe__wait', { ms: 10_000 }));
      await waitFor(() => idInUse(40), 3_000, 'the call in flight');
      const cancel = await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 40, reason: 'changed my mind' } });
      expect(cancel.status).toBe(202);
      const answer = await pending;
      expect([answer.status, answer.headers.get('content-type'), answer.text]).toEqual([200, 'text/event-stream', '']);
      expect(await idInUse(40)).toBe(false);
    });

    it('ends the stream of a cancelled call after what it reported, and the upstream is told', async () => {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...sessionHeaders(sessionId) },
        body: JSON.stringify(call(43, 'probe__wait', { ms: 10_000, tag: 'cancelled' }, { progressToken: 'p-43' })),
        signal: AbortSignal.timeout(10_000),
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      // The progress event says the upstream has the call.
      let text = decoder.decode((await reader.read()).value, { stream: true });
      expect((await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 43 } })).status).toBe(202);
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true });
      expect(eventsOf(text)).toEqual([expect.objectContaining({ method: 'notifications/progress' })]);
      await waitFor(async () => (await stats()).cancelled.some((entry) => entry.tag === 'cancelled'), 3_000, 'upstream saw the cancellation');
    });

    it('answers the rest of a batch whose other request is cancelled', async () => {
      const pending = post([call(41, 'probe__wait', { ms: 10_000, tag: 'cancelled-in-batch' }), call(42, 'probe__wait', { ms: 200 })]);
      await waitFor(() => idInUse(41), 3_000, 'the batch in flight');
      expect((await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 41 } })).status).toBe(202);
      const answer = await pending;
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.json).toEqual([{ jsonrpc: '2.0', id: 42, result: expect.objectContaining({ content: [expect.objectContaining({ text: 'waited' })] }) }]);
    });
  });

  describe('clients that go away mid-call', () => {
    it('drops the answer of a JSON call whose client left, without cancelling it upstream', async () => {
      const controller = new AbortController();
      const request = fetch(endpoint, {
        method: 'POST',
        headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...sessionHeaders(sessionId) },
        body: JSON.stringify(call(30, 'probe__wait', { ms: 300, tag: 'left-json' })),
        signal: controller.signal,
      });
      request.catch(() => undefined);
      await waitFor(() => idInUse(30), 3_000, 'the call in flight');
      controller.abort();
      // The id is free again once the upstream answered and the answer was dropped.
      await waitFor(async () => !(await idInUse(30)), 5_000, 'the dropped answer');
      expect((await stats()).cancelled.map((entry) => entry.tag)).not.toContain('left-json');
      expect((await post(call(31, 'probe__whoami'))).status).toBe(200);
    });

    it('drops the rest of a stream whose client left, without cancelling the call upstream', async () => {
      const controller = new AbortController();
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...sessionHeaders(sessionId) },
        body: JSON.stringify(call(32, 'probe__wait', { ms: 300, tag: 'left-sse' }, { progressToken: 'p-32' })),
        signal: controller.signal,
      });
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const first = await (response.body as ReadableStream<Uint8Array>).getReader().read();
      expect(new TextDecoder().decode(first.value)).toContain('notifications/progress');
      controller.abort();
      await waitFor(async () => !(await idInUse(32)), 5_000, 'the dropped answer');
      expect((await stats()).cancelled.map((entry) => entry.tag)).not.toContain('left-sse');
      expect((await fetch(`${gh.url}/healthz`)).status).toBe(200);
      const client = await connectClient(gh.url, 'tx');
      clients.push(client);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('probe__wait');
    });
  });
});
