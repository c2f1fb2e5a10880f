import { randomUUID } from 'node:crypto';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { createProfile, initializeRequest, PROBE_SERVER, rawMcp, rawSession, registerStdioServer, sessionHeaders, type RawResponse } from '../support/proxy';

const MIB = 1024 * 1024;

describe('MCP endpoints under bad input: JSON-RPC errors, never a 5xx', () => {
  let gh: TestGatehouse;
  let endpoint: string;
  let sessionId: string;
  const responses: RawResponse[] = [];

  /** A raw POST on the open session; every response is kept to check that none was a 5xx. */
  const post = async (init: Parameters<typeof rawMcp>[1], url = endpoint): Promise<RawResponse> => {
    const response = await rawMcp(url, { ...init, headers: { ...sessionHeaders(sessionId), ...init?.headers } });
    responses.push(response);
    return response;
  };
  const call = (id: number, method: string, params?: unknown) => post({ body: { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) } });

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'bad']);
    await createProfile(gh, 'bad', ['probe'], { auth: { apiKey: false } });
    await createProfile(gh, 'elsewhere', ['probe'], { auth: { apiKey: false } });
    endpoint = `${gh.url}/mcp/bad`;
    sessionId = await rawSession(endpoint);
    expect((await gh.api('PATCH', '/api/profiles/bad/tools/probe/stats', { status: 'inactive' })).status).toBe(200);
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('malformed JSON is a 400 with a JSON-RPC parse error, with or without a session', async () => {
    const variants: Record<string, string>[] = [{}, { 'mcp-session-id': '' }];
    for (const headers of variants) {
      const response = await post({ raw: '{"jsonrpc": "2.0", "method": ', headers });
      expect(response.status).toBe(400);
      expect(response.json).toEqual({ jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32700 }) });
    }
  });

  it('an unknown method is JSON-RPC -32601', async () => {
    const response = await call(2, 'tools/frobnicate', {});
    expect(response.status).toBe(200);
    expect(response.json).toEqual(expect.objectContaining({ id: 2, error: expect.objectContaining({ code: -32601 }) }));
  });

  it('a call to an unknown tool is a JSON-RPC error, not a 5xx', async () => {
    const response = await call(3, 'tools/call', { name: 'probe__no_such_tool', arguments: {} });
    expect(response.status).toBe(200);
    expect(response.json).toEqual(expect.objectContaining({ id: 3, error: expect.objectContaining({ code: -32602, message: expect.stringContaining('probe__no_such_tool') }) }));
  });

  it('a call to an inactive tool is a JSON-RPC error', async () => {
    const response = await call(4, 'tools/call', { name: 'probe__stats', arguments: {} });
    expect(response.status).toBe(200);
    expect(response.json?.error).toEqual(expect.objectContaining({ code: -32602 }));
  });

  it('params of the wrong shape are a JSON-RPC error', async () => {
    const response = await call(5, 'tools/call', { name: 42 });
    expect(response.status).toBe(200);
    expect(response.json).toEqual(expect.objectContaining({ id: 5, error: expect.objectContaining({ code: expect.any(Number) }) }));
  });

  // Known gap: the SDK's Protocol parses a request against the handler's schema before any
  // handler runs, and its ZodError goes out as -32603 (internal error) although the client
  // sent the bad params. Remove `.failing` once DownstreamSession validates params itself.
  it('params of the wrong shape are -32602 (invalid params), not -32603', async () => {
    const response = await call(15, 'prompts/get', { name: 42 });
    expect(response.json?.error).toEqual(expect.objectContaining({ code: -32602 }));
  });

  it('a body over 1 MiB is a 413, declared or streamed', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'probe__whoami', arguments: { pad: 'x'.repeat(MIB) } } });
    const declared = await post({ raw: big });
    expect(declared.status).toBe(413);
    const chunks = [Buffer.from(big.slice(0, MIB / 2)), Buffer.from(big.slice(MIB / 2))];
    const streamed = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...sessionHeaders(sessionId) },
      body: new ReadableStream({
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk) controller.enqueue(chunk);
          else controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    await streamed.body?.cancel();
    // A body just under the limit is fine.
    const fits = await call(7, 'tools/call', { name: 'probe__whoami', arguments: { pad: 'x'.repeat(MIB - 1_000) } });
    expect(fits.status).toBe(200);
    expect(fits.json?.result).toBeDefined();
  });

  it('the session id of another profile is a 404', async () => {
    const other = await rawSession(`${gh.url}/mcp/elsewhere`);
    const response = await post({ body: { jsonrpc: '2.0', id: 8, method: 'tools/list' }, headers: { 'mcp-session-id': other } });
    expect(response.status).toBe(404);
    const back = await post({ body: { jsonrpc: '2.0', id: 9, method: 'tools/list' } }, `${gh.url}/mcp/elsewhere`);
    expect(back.status).toBe(404);
  });

  it.each([
    ['an empty body', { raw: '' }],
    ['JSON null', { raw: 'null' }],
    ['a number', { raw: '42' }],
    ['an empty batch', { raw: '[]' }],
    ['a message without a method', { body: { jsonrpc: '2.0', id: 10 } }],
    ['a wrong jsonrpc version', { body: { jsonrpc: '1.0', id: 11, method: 'tools/list' } }],
    ['a second initialize', { body: initializeRequest(12) }],
    ['a batch of garbage', { body: [1, 'two', { three: 3 }] }],
    ['a text/plain body', { raw: '{"jsonrpc":"2.0","id":13,"method":"tools/list"}', headers: { 'content-type': 'text/plain' } }],
    ['no Accept header for SSE', { body: { jsonrpc: '2.0', id: 14, method: 'tools/list' }, headers: { accept: 'application/json' } }],
    ['a result for a request never sent', { body: { jsonrpc: '2.0', id: 'nope', result: {} } }],
    ['an unknown notification', { body: { jsonrpc: '2.0', method: 'notifications/whatever' } }],
  ])('%s is refused or ignored without a 5xx', async (_what, init) => {
    const response = await post(init as Parameters<typeof rawMcp>[1]);
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(500);
  });

  it('an initialize without a session id but with garbage around it is no 5xx either', async () => {
    const response = await rawMcp(endpoint, { body: { ...initializeRequest(), params: { protocolVersion: 42 } } });
    responses.push(response);
    expect(response.status).toBeLessThan(500);
    const unknownSession = await rawMcp(endpoint, { body: { jsonrpc: '2.0', id: 1, method: 'tools/list' }, headers: sessionHeaders(randomUUID()) });
    expect(unknownSession.status).toBe(404);
  });

  it('answered everything without a 5xx and still serves new clients', async () => {
    expect(responses.filter((response) => response.status >= 500).map((response) => response.text)).toEqual([]);
    expect((await fetch(`${gh.url}/healthz`)).status).toBe(200);
    const client = await connectClient(gh.url, 'bad');
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('probe__whoami');
    } finally {
      await client.close();
    }
  });
});
