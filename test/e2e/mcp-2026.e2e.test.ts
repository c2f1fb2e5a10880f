/**
 * MCP 2026-07-28 and 2025-11-25 on the same `/mcp/<slug>`: the SDK v2 client pinned to
 * 2026-07-28 (and in auto negotiation) and the v1 client against one profile at the same time,
 * through the real gateway to a real stdio upstream; then what the spec answers to bad input.
 */
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { join } from 'node:path';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient, FIXTURES } from '../support/mcp-client';
import { createProfile, issueKey, registerStdioServer, waitFor } from '../support/proxy';

const FIXTURE = join(FIXTURES, 'conformance-server.js');
const FIXTURE_V2 = join(FIXTURES, 'conformance-server-v2.js');
const VERSION = '2026-07-28';
const META = {
  'io.modelcontextprotocol/protocolVersion': VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

jest.setTimeout(60_000);

describe('MCP 2026-07-28 beside 2025-11-25 on one profile endpoint', () => {
  let gh: TestGatehouse;
  let key: string;
  const v1Clients: Client[] = [];
  const v2Clients: ClientV2[] = [];

  const v2Client = async (mode: 'auto' | { pin: string }): Promise<ClientV2> => {
    const client = new ClientV2({ name: 'v2-test', version: '1.0.0' }, { versionNegotiation: { mode } });
    await client.connect(new TransportV2(new URL(`${gh.url}/mcp/mixed`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    v2Clients.push(client);
    return client;
  };

  /** One raw 2026 POST: headers as a conforming client sends them unless `headers` overrides. */
  const post = async (method: string, params: Record<string, unknown> | undefined, headers: Record<string, string | null> = {}, id: number | string = 1, slug = 'mixed') => {
    const name = typeof params?.name === 'string' ? params.name : typeof params?.uri === 'string' ? params.uri : undefined;
    const all: Record<string, string | null> = {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': VERSION,
      'mcp-method': method,
      ...(name === undefined ? {} : { 'mcp-name': name }),
      ...headers,
    };
    const response = await fetch(`${gh.url}/mcp/${slug}`, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== null)),
      body: JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }),
    });
    return { status: response.status, session: response.headers.get('mcp-session-id'), body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- asserted field by field
  };

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'conf', FIXTURE);
    await createProfile(gh, 'mixed', ['conf']);
    await registerStdioServer(gh, 'v2', FIXTURE_V2);
    await createProfile(gh, 'modern', ['v2']);
    key = await issueKey(gh, ['mixed', 'modern']);
  });
  afterAll(async () => {
    await Promise.allSettled([...v1Clients.map((c) => c.close()), ...v2Clients.map((c) => c.close())]);
    await gh.stop();
  });

  it('serves a pinned 2026 client and a 2025 client on the same URL at the same time', async () => {
    const v1 = await connectClient(gh.url, 'mixed', { key });
    v1Clients.push(v1);
    const v2 = await v2Client({ pin: VERSION });
    const [old, modern] = await Promise.all([v1.listTools(), v2.listTools()]);
    expect(modern.tools.map((t) => t.name).sort()).toEqual(old.tools.map((t) => t.name).sort());
    // Deterministic order for 2026 clients: by exposed name.
    expect(modern.tools.map((t) => t.name)).toEqual([...modern.tools.map((t) => t.name)].sort());
    const [a, b] = await Promise.all([
      v1.callTool({ name: 'conf__test_simple_text', arguments: {} }),
      v2.callTool({ name: 'conf__test_simple_text', arguments: {} }),
    ]);
    expect(b.content).toEqual(a.content);
    expect(JSON.stringify(b.content)).toContain('simple text response');
    const read = await v2.readResource({ uri: 'test://static-text' });
    expect(JSON.stringify(read.contents)).toContain('static text');
    const prompt = await v2.getPrompt({ name: 'conf__test_simple_prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
    // the 2025 session still works after the 2026 traffic
    expect((await v1.listTools()).tools.length).toBe(old.tools.length);
  });

  it('negotiates 2026-07-28 for a v2 client in auto mode (server/discover answers)', async () => {
    const v2 = await v2Client('auto');
    const { tools } = await v2.listTools();
    expect(tools.map((t) => t.name)).toContain('conf__test_simple_text');
    expect(v2.getNegotiatedProtocolVersion?.()).toBe(VERSION);
  });

  it('answers server/discover and marks results with resultType, serverInfo and cache hints, with no session', async () => {
    const discover = await post('server/discover', { _meta: META });
    expect(discover.status).toBe(200);
    expect(discover.session).toBeNull();
    expect(discover.body.result.supportedVersions).toEqual(expect.arrayContaining([VERSION, '2025-11-25']));
    expect(discover.body.result.capabilities.tools).toEqual({ listChanged: true });
    expect(discover.body.result._meta['io.modelcontextprotocol/serverInfo'].name).toBe('gatehouse');
    for (const method of ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']) {
      const { status, body } = await post(method, { _meta: META });
      expect(status).toBe(200);
      expect(body.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'public' });
    }
    const read = await post('resources/read', { uri: 'test://static-text', _meta: META });
    expect(read.body.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'public' });
    const call = await post('tools/call', { name: 'conf__test_simple_text', arguments: {}, _meta: META });
    expect(call.body.result.resultType).toBe('complete');
  });

  it('refuses bad 2026 input with the spec errors, never a 5xx', async () => {
    const mismatchedMethod = await post('tools/list', { _meta: META }, { 'mcp-method': 'prompts/list' }, 'a');
    expect([mismatchedMethod.status, mismatchedMethod.body.error.code, mismatchedMethod.body.id]).toEqual([400, -32020, 'a']);

    const mismatchedName = await post('tools/call', { name: 'conf__test_simple_text', arguments: {}, _meta: META }, { 'mcp-name': 'conf__other' });
    expect([mismatchedName.status, mismatchedName.body.error.code]).toEqual([400, -32020]);

    const base64Name = await post('tools/call', { name: 'conf__test_simple_text', arguments: {}, _meta: META }, { 'mcp-name': `=?base64?${Buffer.from('conf__test_simple_text').toString('base64')}?=` });
    expect(base64Name.status).toBe(200);
    expect(base64Name.body.result.content[0].text).toContain('simple text');

    const missingMethodHeader = await post('tools/list', { _meta: META }, { 'mcp-method': null });
    expect([missingMethodHeader.status, missingMethodHeader.body.error.code]).toEqual([400, -32020]);

    const versionMismatch = await post('tools/list', { _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } });
    expect([versionMismatch.status, versionMismatch.body.error.code]).toEqual([400, -32020]);

    const noVersion = await post('tools/list', { _meta: { 'io.modelcontextprotocol/clientCapabilities': {} } }, {}, 7);
    expect([noVersion.status, noVersion.body.error.code, noVersion.body.id]).toEqual([400, -32602, 7]);
    expect(noVersion.body.error.message).toContain('io.modelcontextprotocol/protocolVersion');
    const noMeta = await post('tools/list', {});
    expect([noMeta.status, noMeta.body.error.code]).toEqual([400, -32602]);

    const unknown = await post('server/discover', { _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' } }, { 'mcp-protocol-version': 'v999.0.0' });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, -32022]);
    expect(unknown.body.error.data).toEqual({ supported: expect.arrayContaining([VERSION, '2025-11-25']), requested: 'v999.0.0' });
    expect(unknown.body.error.message).toContain(VERSION);

    for (const removed of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe', 'no/such-method']) {
      const answer = await post(removed, { _meta: META, ...(removed.startsWith('resources/') ? { uri: 'test://static-text' } : {}) });
      expect([removed, answer.status, answer.body.error.code, answer.session]).toEqual([removed, 404, -32601, null]);
    }

    const unknownTool = await post('tools/call', { name: 'conf__nope', arguments: {}, _meta: META });
    expect([unknownTool.status, unknownTool.body.error.code]).toEqual([200, -32602]);
    const badParams = await post('tools/call', { name: 42, _meta: META });
    expect([badParams.status, badParams.body.error.code]).toEqual([200, -32602]);
    const missingResource = await post('resources/read', { uri: 'test://nowhere', _meta: META });
    expect(missingResource.body.error.code).toBe(-32602);

    // A 2025 client without a session is still told to open one, as before.
    const legacy = await post('tools/list', {}, { 'mcp-protocol-version': '2025-11-25' });
    expect(legacy.status).toBe(400);
    expect(legacy.body.error.message).toContain('Mcp-Session-Id');
  });

  it('streams a call with a progressToken: its progress, then its result, as SSE message events on a stream that names no session', async () => {
    const response = await fetch(`${gh.url}/mcp/mixed`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'conf__test_tool_with_progress' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'conf__test_tool_with_progress', arguments: {}, _meta: { ...META, progressToken: 'p-9' } } }),
    });
    expect([response.status, response.headers.get('content-type'), response.headers.get('mcp-session-id')]).toEqual([200, 'text/event-stream', null]);
    const text = await response.text();
    // Nothing but whole `message` events, one JSON line each.
    expect(text).toMatch(/^(event: message\ndata: [^\n]+\n\n)+$/);
    const frames = text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)));
    expect(frames.map((frame) => frame.method ?? frame.id)).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 9]);
    expect(frames.slice(0, 3).map((frame) => [frame.params.progressToken, frame.params.progress])).toEqual([['p-9', 0], ['p-9', 50], ['p-9', 100]]);
    expect(frames[3].result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'Tool with progress executed successfully' }] });
  });

  it('subscriptions/listen: acknowledges first, tags each notification, sends only what was asked', async () => {
    const open = async (notifications: Record<string, unknown>, id: number) => {
      const controller = new AbortController();
      const response = await fetch(`${gh.url}/mcp/mixed`, {
        method: 'POST',
        signal: controller.signal,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'subscriptions/listen' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { notifications, _meta: META } }),
      });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      // 2026-07-28 has no sessions: the stream names none.
      expect(response.headers.get('mcp-session-id')).toBeNull();
      const frames: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- asserted field by field
      const reader = response.body!.getReader();
      void (async () => {
        let buffer = '';
        for (;;) {
          const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
          if (chunk.done) return;
          buffer += new TextDecoder().decode(chunk.value);
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) if (line.startsWith('data: ')) frames.push(JSON.parse(line.slice(6)));
        }
      })();
      return { frames, close: () => controller.abort() };
    };
    const tools = await open({ toolsListChanged: true }, 41);
    const prompts = await open({ promptsListChanged: true }, 42);
    await waitFor(() => tools.frames.length > 0 && prompts.frames.length > 0, 10_000, 'acknowledgements');
    expect(tools.frames[0]).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { notifications: { toolsListChanged: true } } });
    expect(tools.frames[0].params._meta['io.modelcontextprotocol/subscriptionId']).toBe(41);
    // A configuration change that alters the tools of the profile.
    const patched = await gh.api('PATCH', '/api/profiles/mixed/tools/conf/test_simple_text', { status: 'inactive' });
    expect(patched.status).toBe(200);
    const changed = await waitFor(() => tools.frames.find((f) => f.method === 'notifications/tools/list_changed'), 10_000, 'tools list_changed');
    expect(changed.params._meta['io.modelcontextprotocol/subscriptionId']).toBe(41);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(prompts.frames.map((f) => f.method)).toEqual(['notifications/subscriptions/acknowledged']);
    tools.close();
    prompts.close();
    await gh.api('PATCH', '/api/profiles/mixed/tools/conf/test_simple_text', { status: 'active' });
  });

  it('an SDK v2 upstream sees the 2026 client\'s own capabilities: -32021 (HTTP 400) when sampling was not declared', async () => {
    const v1 = await connectClient(gh.url, 'modern', { key });
    v1Clients.push(v1);
    expect((await v1.callTool({ name: 'v2__test_simple_text', arguments: {} })).content).toEqual([{ type: 'text', text: 'This is a simple text response for testing.' }]);
    const refused = await post('tools/call', { name: 'v2__test_missing_capability', arguments: {}, _meta: META }, {}, 5, 'modern');
    expect([refused.status, refused.body.error.code, refused.body.id]).toEqual([400, -32021, 5]);
    expect(refused.body.error.data.requiredCapabilities).toEqual({ sampling: {} });
    const declared = { ...META, 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } };
    const allowed = await post('tools/call', { name: 'v2__test_missing_capability', arguments: {}, _meta: declared }, {}, 6, 'modern');
    expect(allowed.status).toBe(200);
    expect(allowed.body.result.content[0].text).toContain('declared sampling');
    // What the gateway speaks with each upstream is in its runtime status: the v2 fixture offers
    // 2026-07-28 when asked server/discover on its stdio process, the v1 fixture does not.
    const revisions = await Promise.all(['v2', 'conf'].map(async (server) => [server, (await gh.api('GET', `/api/servers/${server}`)).body.runtime.protocolVersion]));
    expect(revisions).toEqual([['v2', VERSION], ['conf', '2025-11-25']]);
  });

  it('answers malformed 2026 traffic with a JSON-RPC error or 202, never a 5xx, and keeps serving', async () => {
    const caps = 'io.modelcontextprotocol/clientCapabilities';
    const bodies: unknown[] = [
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: [] } },
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: [] },
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { ...META, [caps]: 'all' } } },
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': 42 } } },
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { ...META, 'io.modelcontextprotocol/clientInfo': 'x' } } },
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { _meta: META } },
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'conf__test_simple_text', arguments: 'x', _meta: META } },
      { jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 7, _meta: META } },
      { jsonrpc: '2.0', id: 1, method: 'prompts/get', params: { name: 'nope', _meta: META } },
      { jsonrpc: '2.0', id: 1, method: 'completion/complete', params: { ref: { type: 'ref/zzz' }, _meta: META } },
      { jsonrpc: '2.0', id: 1, method: 'subscriptions/listen', params: { notifications: { toolsListChanged: 'yes' }, _meta: META } },
      { jsonrpc: '2.0', id: 1, method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: Array.from({ length: 500 }, (_, i) => `x://${i}`) }, _meta: META } },
      { jsonrpc: '2.0', id: null, method: 'tools/list', params: { _meta: META } },
      { jsonrpc: '2.0', id: { x: 1 }, method: 'tools/list', params: { _meta: META } },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: META } },
      [{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: META } }],
      'not an object',
    ];
    for (const body of bodies) {
      const method = typeof (body as { method?: unknown }).method === 'string' ? (body as { method: string }).method : 'tools/list';
      const response = await fetch(`${gh.url}/mcp/mixed`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': method },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect([JSON.stringify(body).slice(0, 80), response.status < 500]).toEqual([JSON.stringify(body).slice(0, 80), true]);
      if (response.status !== 202) expect(JSON.parse(text).error).toBeDefined();
    }
    const after = await post('tools/list', { _meta: META });
    expect(after.body.result.tools.length).toBeGreaterThan(0);
  });
});
