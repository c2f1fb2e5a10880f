import { request } from 'node:http';
import { connect } from 'node:net';
import { watchExposure } from '../../src/api/security/exposure-warning';
import { loadConfig } from '../../src/infrastructure/config/config';
import { spawnGatehouse } from '../support/child-gatehouse';
import { eventCount } from '../support/events';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { openStream } from '../support/mcp-streams';
import { expectProblem } from '../support/problem';
import { createProfile, initializeRequest, issueKey, PROBE_SERVER, rawMcp, rawSession, registerStdioServer, sessionHeaders, waitFor } from '../support/proxy';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

const MIB = 1024 * 1024;
const nested = (levels: number, inner = '1'): string => `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;

/**
 * A raw request, for what fetch will not send (huge headers, chunked bodies without a length).
 * Chunks are written one at a time and writing stops once the answer arrives, as a client
 * does: the server refuses an oversized body early and then drops the connection.
 */
const rawRequest = (url: string, options: { method?: string; headers?: Record<string, string>; chunks?: Buffer[] } = {}) =>
  new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, timeout: 10_000 }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    void (async () => {
      for (const chunk of options.chunks ?? []) {
        if (answered) return;
        await new Promise<void>((written) => req.write(chunk, () => written()));
        await new Promise((tick) => setTimeout(tick, 5));
      }
      if (!answered) req.end();
    })();
  });

describe('HTTP hardening', () => {
  let gh: TestGatehouse;
  let key: string;
  let sessionId: string;
  const mcp = (): string => `${gh.url}/mcp/dev`;
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${key}` });
  const callTool = (args: string): string => `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"probe__whoami","arguments":${args}}}`;

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER);
    await createProfile(gh, 'dev', ['probe']);
    key = await issueKey(gh, ['dev']);
    sessionId = await rawSession(mcp(), auth());
  });
  afterAll(async () => {
    await gh.stop();
  });

  describe('request limits', () => {
    it('answers 413 to an MCP body over 1 MiB, declared or streamed without a length', async () => {
      const big = callTool(JSON.stringify({ pad: 'x'.repeat(MIB) }));
      const declared = await rawMcp(mcp(), { raw: big, headers: sessionHeaders(sessionId, auth()) });
      expect(declared.status).toBe(413);
      expect(declared.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringMatching(/larger than/) } });
      const chunked = await rawRequest(mcp(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'transfer-encoding': 'chunked', ...sessionHeaders(sessionId, auth()) },
        chunks: Array.from({ length: 20 }, () => Buffer.alloc(64 * 1024, 0x20)),
      });
      expect(chunked.status).toBe(413);
      const sse = await rawMcp(`${gh.url}/mcp/dev/messages?sessionId=nope`, { raw: big, headers: auth() });
      expect(sse.status).toBe(404);
    });

    it('answers 413 to a REST body over 1 MiB streamed without a length', async () => {
      const response = await rawRequest(`${gh.url}/api/profiles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        chunks: [Buffer.from('{"slug":"x","name":"'), ...Array.from({ length: 20 }, () => Buffer.alloc(64 * 1024, 0x61)), Buffer.from('"}')],
      });
      expect([response.status, response.headers['content-type']]).toEqual([413, expect.stringContaining('application/problem+json')]);
    });

    it('answers 414 to a URL over 8 KiB: a problem on REST, a JSON-RPC error on MCP', async () => {
      expectProblem(await gh.api('GET', `/api/servers?name=${'a'.repeat(9_000)}`), 414, 'URI_TOO_LONG');
      const viaMcp = await rawMcp(`${mcp()}?pad=${'a'.repeat(9_000)}`, { body: initializeRequest(), headers: auth() });
      expect(viaMcp.status).toBe(414);
      expect(viaMcp.json?.error?.code).toBe(-32600);
    });

    it('answers 431 with a problem document to headers over 16 KiB', async () => {
      const response = await rawRequest(`${gh.url}/api/servers`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'x-padding': 'p'.repeat(17 * 1024) } });
      expect(response.status).toBe(431);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(response.body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
    });

    it('answers a request the HTTP parser cannot read with a 400 problem document', async () => {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(gh.port, '127.0.0.1', () => socket.write('NOT AN HTTP REQUEST\r\n\r\n'));
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        socket.setTimeout(5_000, () => socket.destroy());
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('Content-Type: application/problem+json');
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    });

    it.each([
      ['65 levels (one past the limit)', `{"slug":"deep","description":${nested(64, '"x"')}}`],
      ['400,000 levels (enough to overflow any recursive walk)', `{"slug":"deep","description":${nested(400_000)}}`],
      ['__proto__ at the top', '{"slug":"proto","__proto__":{"name":"polluted"}}'],
      ['constructor in a nested object', '{"slug":"ctor","auth":{"constructor":{"prototype":{"apiKey":false}}}}'],
    ])('refuses a REST body with %s (400, nothing appended)', async (_, body) => {
      const count = eventCount(gh);
      expectProblem(await gh.api('POST', '/api/profiles', body), 400, 'VALIDATION_FAILED');
      expect(eventCount(gh)).toBe(count);
      expect(({} as Record<string, unknown>).name).toBeUndefined();
    });

    it.each([
      ['arguments nested past the limit', callTool(`{"a":${nested(64)}}`)],
      ['400,000 levels of arguments', callTool(nested(400_000))],
      ['__proto__ in the arguments', callTool('{"__proto__":{"isAdmin":true}}')],
      ['constructor in the params', '{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"constructor":{"prototype":{}}}}'],
    ])('refuses an MCP message with %s with a JSON-RPC error (400)', async (_, raw) => {
      const response = await rawMcp(mcp(), { raw, headers: sessionHeaders(sessionId, auth()) });
      expect(response.status).toBe(400);
      expect(response.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringMatching(/^Invalid Request/) } });
      const stillThere = await rawMcp(mcp(), { body: { jsonrpc: '2.0', id: 5, method: 'tools/list' }, headers: sessionHeaders(sessionId, auth()) });
      expect(stillThere.status).toBe(200);
    });
  });

  it('answers the SSE messages endpoint with JSON-RPC errors for a wrong media type or a batch', async () => {
    const stream = await openStream(`${gh.url}/mcp/dev/sse`, { bearer: key }, {}, true);
    try {
      const wrongType = await rawMcp(stream.endpoint as string, { raw: '{"jsonrpc":"2.0","id":1,"method":"ping"}', headers: { ...auth(), 'content-type': 'text/plain' } });
      expect([wrongType.status, wrongType.json?.error?.code]).toEqual([415, -32600]);
      const batch = await rawMcp(stream.endpoint as string, { body: [{ jsonrpc: '2.0', id: 1, method: 'ping' }], headers: auth() });
      expect([batch.status, batch.json?.error?.code]).toEqual([400, -32600]);
    } finally {
      stream.close();
    }
  });

  describe('response headers', () => {
    const SECURITY_HEADERS = {
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'content-security-policy': expect.stringContaining("default-src 'none'"),
    };
    const headersOf = (headers: Headers): Record<string, string | null> =>
      Object.fromEntries(Object.keys(SECURITY_HEADERS).map((name) => [name, headers.get(name)]));

    it.each([
      ['a success', 'GET', '/api/servers', {}],
      ['an auth failure', 'GET', '/api/servers', { authorization: 'Bearer wrong-token-value' }],
      ['a missing route', 'GET', '/api/nothing-here', {}],
      ['a validation error', 'POST', '/api/profiles', {}],
      ['the health check', 'GET', '/healthz', {}],
    ])('are on %s', async (_, method, path, headers) => {
      const response = await gh.api(method, path, method === 'POST' ? { bogus: true } : undefined, headers);
      expect(headersOf(response.headers)).toEqual(SECURITY_HEADERS);
    });

    it.each([
      ['an initialize', true, 200],
      ['a refusal for want of a key', false, 401],
    ])('are on the MCP endpoint (served outside Koa) for %s, with the correlation id', async (_, withKey, status) => {
      const headers = withKey ? auth() : {};
      const response = await rawMcp(`${gh.url}/mcp/dev`, { body: initializeRequest(), headers: { ...headers, 'x-correlation-id': 'mcp-corr-7' } });
      expect(response.status).toBe(status);
      expect(headersOf(response.headers)).toEqual(SECURITY_HEADERS);
      expect(response.headers.get('x-correlation-id')).toBe('mcp-corr-7');
      const unknown = await rawMcp(`${gh.url}/mcp/no-such-profile`, { body: initializeRequest(), headers });
      expect([unknown.status, headersOf(unknown.headers)]).toEqual([404, SECURITY_HEADERS]);
      expect(unknown.headers.get('x-correlation-id')).toEqual(expect.any(String));
    });

    it('carry no CORS header when no origin is configured, preflight included', async () => {
      const preflight = await fetch(`${gh.url}/api/servers`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
      });
      const simple = await gh.api('GET', '/api/servers', undefined, { origin: 'https://app.example' });
      for (const headers of [preflight.headers, simple.headers]) {
        expect([...headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
      }
    });
  });

  describe('bind address', () => {
    it('defaults to 127.0.0.1', () => {
      expect(loadConfig({ GATEHOUSE_DATA_DIR: '/tmp/x' }).host).toBe('127.0.0.1');
    });

    it('serves on loopback without GATEHOUSE_HOST, and never logs the admin token', async () => {
      const dir = makeTempDir();
      const child = await spawnGatehouse({ GATEHOUSE_HOST: '', GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
      try {
        expect(child.output()).toMatch(/"url":"http:\/\/127\.0\.0\.1:\d+"/);
        const wrong = await fetch(`${child.url}/api/servers`, { headers: { authorization: 'Bearer not-the-token-123' } });
        expect(wrong.status).toBe(401);
        expect(await wrong.text()).not.toContain(TEST_ADMIN_TOKEN);
      } finally {
        await child.kill('SIGTERM');
        dir.cleanup();
      }
      expect(child.output()).not.toContain(TEST_ADMIN_TOKEN);
      expect(child.output()).not.toMatch(/reachable from the network/);
    });

    it('warns about open profiles when bound beyond loopback, at start and when one more opens', async () => {
      await createProfile(gh, 'public', [], { auth: { apiKey: false } });
      const warnings: Record<string, unknown>[] = [];
      const exposure = { openSlugs: () => gh.app.queries.profiles.openSlugs(), events$: gh.gateway.follower.events$ };
      const stop = watchExposure(exposure, '0.0.0.0', (message, fields) => warnings.push({ message, ...fields }));
      try {
        await waitFor(() => warnings.length > 0, 2_000, 'warning at start');
        expect(warnings).toEqual([expect.objectContaining({ host: '0.0.0.0', profiles: ['public'] })]);
        await createProfile(gh, 'locked-too', []);
        await createProfile(gh, 'public-too', [], { auth: { apiKey: false } });
        await waitFor(() => warnings.length === 2, 2_000, 'second warning');
        expect(warnings[1]).toMatchObject({ profiles: ['public-too'] });
      } finally {
        stop();
      }
      const quiet: unknown[] = [];
      watchExposure(exposure, '127.0.0.1', () => quiet.push(1))();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(quiet).toEqual([]);
    });
  });
});

describe('CORS with GATEHOUSE_CORS_ORIGINS', () => {
  let gh: TestGatehouse;
  let key: string;
  const ORIGIN = 'https://app.example';

  beforeAll(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_CORS_ORIGINS: ORIGIN });
    await registerStdioServer(gh, 'probe', PROBE_SERVER);
    await createProfile(gh, 'dev', ['probe']);
    key = await issueKey(gh, ['dev']);
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('answers the preflight of a configured origin before authentication', async () => {
    const preflight = await fetch(`${gh.url}/api/servers`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets the configured origin read REST and MCP responses, and nobody else', async () => {
    const api = await gh.api('GET', '/api/servers', undefined, { origin: ORIGIN });
    expect(api.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(api.headers.get('vary')).toMatch(/Origin/);
    const viaMcp = await rawMcp(`${gh.url}/mcp/dev`, { body: initializeRequest(), headers: { origin: ORIGIN, authorization: `Bearer ${key}` } });
    expect(viaMcp.status).toBe(200);
    expect(viaMcp.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(viaMcp.headers.get('access-control-expose-headers')).toMatch(/Mcp-Session-Id/);

    const other = await gh.api('GET', '/api/servers', undefined, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const otherMcp = await rawMcp(`${gh.url}/mcp/dev`, { body: initializeRequest(), headers: { origin: 'https://evil.example', authorization: `Bearer ${key}` } });
    expect(otherMcp.status).toBe(403);
    expect(otherMcp.headers.get('access-control-allow-origin')).toBeNull();
  });
});
