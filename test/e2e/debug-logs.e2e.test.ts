import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { findInFiles } from '../support/files';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { expectProblem } from '../support/problem';
import { openSse } from '../support/sse';
import { ENV_SECRET, makeTraffic, setUpTrafficProfiles } from '../support/traffic';

type Log = { id: number; profile: string; method: string; target: string | null; server: string | null; status: string; errorCode: number | null; [key: string]: unknown };

const PASSWORD = 'hunter2-correct-horse';

describe('debug logs of a real client session', () => {
  let gh: TestGatehouse;
  let key: string;
  const clients: Client[] = [];
  let logs: Log[];

  const connect = async (slug: string): Promise<Client> => {
    const client = await connectClient(gh.url, slug, { key });
    clients.push(client);
    return client;
  };
  const list = async (query: string): Promise<Log[]> => {
    const response = await gh.api('GET', `/api/logs?${query}`);
    expect(response.status).toBe(200);
    return response.body.logs as Log[];
  };

  beforeAll(async () => {
    gh = await startTestGatehouse();
    key = await setUpTrafficProfiles(gh);
    const on = await connect('on');
    await on.listTools();
    const outcome = await makeTraffic(on);
    expect(outcome.ok.isError).toBeFalsy();
    expect(outcome.failedTool.isError).toBe(true);
    expect(outcome.unknown.code).toBe(-32602);
    expect(outcome.timeout.code).toBe(-32001);
    // A configured secret sent as an argument (and echoed back by the tool), and a password field.
    await on.callTool({ name: 'conformance__json_schema_2020_12_tool', arguments: { name: `my key is ${ENV_SECRET}`, password: PASSWORD } });

    const off = await connect('off');
    await off.listTools();
    await makeTraffic(off);
    await gh.observability.flush();
    logs = await list('limit=1000');
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
  });

  it('records each request of the session with its upstream, status and error code', () => {
    const calls = logs.filter((log) => log.method === 'tools/call').reverse();
    expect(calls.map(({ target, server, status, errorCode }) => ({ target, server, status, errorCode }))).toEqual([
      { target: 'conformance__test_simple_text', server: 'conformance', status: 'ok', errorCode: null },
      { target: 'conformance__test_error_handling', server: 'conformance', status: 'error', errorCode: null },
      { target: 'conformance__does_not_exist', server: null, status: 'error', errorCode: -32602 },
      { target: 'hung__noop', server: 'hung', status: 'timeout', errorCode: -32001 },
      { target: 'conformance__json_schema_2020_12_tool', server: 'conformance', status: 'ok', errorCode: null },
    ]);
    const [first] = calls;
    expect(first).toMatchObject({ profile: 'on', clientName: 'gatehouse-test', kind: 'request', sessionId: expect.any(String) });
    expect(first.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(first.requestBytes as number).toBeGreaterThan(0);
    expect(first.responseBytes as number).toBeGreaterThan(0);
    expect(calls[3].durationMs as number).toBeGreaterThanOrEqual(290);
    expect(logs.map((log) => log.method)).toEqual(expect.arrayContaining(['initialize', 'notifications/initialized', 'tools/list']));
    expect(new Set(logs.map((log) => log.sessionId)).size).toBe(1);
  });

  it('records nothing for a profile with debug logging off', async () => {
    expect(logs.every((log) => log.profile === 'on')).toBe(true);
    expect(await list('profile=off')).toEqual([]);
    expect(gh.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM debug_logs WHERE profile_slug = 'off'`)?.n).toBe(0);
  });

  it('stores params and results redacted, never the secret', async () => {
    const call = logs.find((log) => log.target === 'conformance__json_schema_2020_12_tool');
    const detail = (await gh.api('GET', `/api/logs/${call?.id}`)).body;
    expect(detail.params).toEqual({ name: 'conformance__json_schema_2020_12_tool', arguments: { name: 'my key is [REDACTED]', password: '[REDACTED]' } });
    expect(JSON.stringify(detail.result)).toContain('[REDACTED]');
    expect(JSON.stringify(detail)).not.toContain(ENV_SECRET);
    const stored = gh.sql.all<{ params: string }>('SELECT params FROM traffic_journal').map((row) => row.params).join('\n');
    expect(stored).toContain('my key is [REDACTED]');
    expect(findInFiles(gh.dataDir, [ENV_SECRET, PASSWORD])).toEqual([]);
  });

  it('filters by server, status, method, text and time, and pages with a cursor', async () => {
    expect((await list('status=timeout')).map((log) => log.target)).toEqual(['hung__noop']);
    expect((await list('status=error,timeout&server=hung')).map((log) => log.target)).toEqual(['hung__noop']);
    expect((await list('q=ERROR_HANDLING&method=tools/call')).map((log) => log.target)).toEqual(['conformance__test_error_handling']);
    expect((await list('method=initialize')).length).toBe(1);
    expect(await list(`since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    expect((await list(`session=${logs[0].sessionId}&until=${new Date(Date.now() + 60_000).toISOString()}`)).length).toBe(logs.length);

    const seen: number[] = [];
    let cursor = '';
    for (let page = 0; page < 50; page += 1) {
      const response = await gh.api('GET', `/api/logs?limit=3${cursor}`);
      seen.push(...response.body.logs.map((log: Log) => log.id));
      if (response.body.next === null) break;
      cursor = `&cursor=${response.body.next}`;
    }
    expect(seen).toEqual(logs.map((log) => log.id));
  });

  it('streams new entries live with the same filters', async () => {
    const sse = await openSse(`${gh.url}/api/logs/stream?profile=on&method=tools/call`, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
    try {
      const client = clients[0];
      await client.callTool({ name: 'conformance__test_simple_text', arguments: {} });
      await client.listTools();
      const message = await sse.next((m) => m.event === 'log', 5_000);
      expect(JSON.parse(message.data)).toMatchObject({ method: 'tools/call', target: 'conformance__test_simple_text', status: 'ok', profile: 'on' });
      expect(Number(message.id)).toBeGreaterThan(Math.max(...logs.map((log) => log.id)));
    } finally {
      sse.close();
    }
  });

  it('records sessions over the legacy SSE transport too', async () => {
    const client = await connectClient(gh.url, 'on', { key, transport: 'sse' });
    clients.push(client);
    await client.callTool({ name: 'conformance__test_simple_text', arguments: {} });
    await gh.observability.flush();
    const [newest] = await list('method=tools/call&limit=1');
    expect(newest).toMatchObject({ target: 'conformance__test_simple_text', server: 'conformance', status: 'ok' });
    expect(newest.sessionId).not.toBe(logs[0].sessionId);
  });

  it('answers bad input with problem+json 4xx', async () => {
    for (const query of ['status=bogus', 'limit=0', 'limit=abc', 'since=yesterday', 'until=2020-01-01&since=2021-01-01', 'cursor=-1', 'colour=blue', 'q=', `q=${'x'.repeat(201)}`]) {
      expectProblem(await gh.api('GET', `/api/logs?${query}`), 400);
    }
    expectProblem(await gh.api('GET', '/api/logs/stream?status=bogus'), 400);
    expectProblem(await gh.api('GET', '/api/logs/abc'), 400, 'INVALID_LOG_ID');
    expectProblem(await gh.api('GET', '/api/logs/999999'), 404, 'LOG_NOT_FOUND');
    expectProblem(await gh.api('DELETE', '/api/logs'), 400);
    expectProblem(await gh.api('DELETE', '/api/logs?before=soon'), 400);
    expectProblem(await gh.api('DELETE', '/api/logs?before=1d&profile=on'), 400);
    const anonymous = await fetch(`${gh.url}/api/logs`);
    expect(anonymous.status).toBe(401);
  });

  it('deletes entries before a time, and only those', async () => {
    await gh.observability.flush();
    const all = await list('limit=1000');
    const middle = all[Math.floor(all.length / 2)];
    const cutoff = new Date(Date.parse(middle.time as string) + 1).toISOString();
    const expected = all.filter((log) => (log.time as string) >= cutoff).map((log) => log.id);
    const response = await gh.api('DELETE', `/api/logs?before=${encodeURIComponent(cutoff)}`);
    expect(response.status).toBe(200);
    expect(response.body.deleted).toBe(all.length - expected.length);
    expect((await list('limit=1000')).map((log) => log.id)).toEqual(expected);
  });

  it('enforces logMaxRows from the settings in the periodic retention pass', async () => {
    const before = (await list('limit=1000')).map((log) => log.id);
    expect(before.length).toBeGreaterThan(2);
    expect((await gh.api('PATCH', '/api/settings', { logMaxRows: 2 })).status).toBe(200);
    // The gateway applies committed settings in small batches: wait (bounded) until it has.
    for (let i = 0; i < 100 && gh.gateway.settings.current().logMaxRows !== 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await gh.observability.retention.runOnce()).toEqual({ byAge: 0, byCount: before.length - 2 });
    expect((await list('limit=1000')).map((log) => log.id)).toEqual(before.slice(0, 2));
  });
});
