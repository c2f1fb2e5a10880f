/**
 * A 2026-07-28 client calls a tool on a 2025 upstream that asks for input, through two Gatehouse
 * instances on one PostgreSQL database: the first round is answered by instance A (its upstream
 * call waits there), the retry goes to instance B, which hands it to A and relays A's answer.
 * Real parts: two built gateways on one real database, the SDK v1 conformance fixture as the 2025
 * upstream (stdio, spawned by A), the SDK v2 client pinned to 2026-07-28, and raw 2026 POSTs.
 */
import { join } from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as PgClient } from 'pg';
import { sharedDatabaseInstances, type ChildGatehouse } from '../support/child-gatehouse';
import { FIXTURES } from '../support/mcp-client';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../support/postgres';
import { resultText, waitFor } from '../support/proxy';
import { adminApi } from '../support/admin-api';

const VERSION = '2026-07-28';
const ASKING = {
  'io.modelcontextprotocol/protocolVersion': VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
};
const api = adminApi();

jest.setTimeout(120_000);

describePostgres('a translated request across two instances on one PostgreSQL database', () => {
  let database: TestPostgresDatabase;
  const gateways = sharedDatabaseInstances(() => database.url);
  const { start } = gateways;
  const clients: ClientV2[] = [];
  let a: ChildGatehouse;
  let b: ChildGatehouse;
  let key: string;
  let otherKey: string;

  const post = async (on: ChildGatehouse, method: string, params: Record<string, unknown>, as = key) => {
    const response = await fetch(`${on.url}/mcp/asks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${as}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream',
        'mcp-protocol-version': VERSION, 'mcp-method': method, ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: { ...params, _meta: ASKING } }),
    });
    return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- asserted field by field
  };
  /** One 2026 tools/call of conf__test_elicitation, to instance `on`. */
  const call = (on: ChildGatehouse, extra: Record<string, unknown>, as = key) =>
    post(on, 'tools/call', { name: 'conf__test_elicitation', arguments: { message: 'Who are you?' }, ...extra }, as);
  const answerTo = (inputRequests: Record<string, unknown>, username: string) => ({
    inputResponses: Object.fromEntries(Object.keys(inputRequests).map((ask) => [ask, { action: 'accept', content: { username, email: `${username}@example.com` } }])),
  });

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    [a, b] = [await start(), await start()];
    expect((await api(a.url, 'POST', '/api/servers', { name: 'conf', transport: 'stdio', command: process.execPath, args: [join(FIXTURES, 'conformance-server.js')] })).status).toBe(201);
    expect((await api(a.url, 'POST', '/api/profiles', { slug: 'asks' })).status).toBe(201);
    expect((await api(a.url, 'PUT', '/api/profiles/asks/servers/conf', { status: 'active' })).status).toBe(201);
    key = (await api(a.url, 'POST', '/api/keys', { name: 'first', profiles: ['asks'] })).body.key as string;
    otherKey = (await api(a.url, 'POST', '/api/keys', { name: 'second', profiles: ['asks'] })).body.key as string;
    // B follows A's writes (within a second): it knows the profile and the keys.
    await waitFor(async () => JSON.stringify((await post(b, 'tools/list', {})).body.result?.tools ?? []).includes('conf__test_elicitation'), 10_000, 'B serves the profile');
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gateways.stop();
    await database?.drop();
  });

  it('the SDK v2 client\'s retry reaches B and gets the result of the call waiting on A', async () => {
    const routed: string[] = [];
    // The load balancer: a retry (it carries requestState) goes to B, everything else to A.
    const balancer = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const retry = typeof init?.body === 'string' && init.body.includes('"requestState"');
      routed.push(retry ? 'B' : 'A');
      const url = new URL(input instanceof Request ? input.url : input);
      return fetch(new URL(url.pathname, retry ? b.url : a.url), init);
    };
    const client = new ClientV2({ name: 'v2-across', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: VERSION } } });
    await client.connect(new TransportV2(new URL(`${a.url}/mcp/asks`), { requestInit: { headers: { authorization: `Bearer ${key}` } }, fetch: balancer }));
    clients.push(client);
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
    });
    const result = await client.callTool({ name: 'conf__test_elicitation', arguments: { message: 'Who are you?' } });
    expect(asked).toEqual(['Who are you?']);
    expect(resultText(result)).toBe('User response: action=accept, content={"username":"ada","email":"ada@example.com"}');
    expect(routed.filter((to) => to === 'B')).toHaveLength(1);
  });

  it('B refuses a tampered, foreign or replayed state as A would, and relays the honest retry', async () => {
    const first = await call(a, {});
    const round1 = first.body.result;
    expect(round1.resultType).toBe('input_required');
    const answer = answerTo(round1.inputRequests, 'bob');

    const tampered = await call(b, { ...answer, requestState: `A${round1.requestState.slice(1)}` });
    expect([tampered.status, tampered.body.error?.code]).toEqual([200, -32602]);
    const foreign = await call(b, { ...answer, requestState: round1.requestState }, otherKey);
    expect([foreign.status, foreign.body.error?.code, foreign.body.error?.message]).toEqual([200, -32602, expect.stringContaining('another client')]);

    const honest = await call(b, { ...answer, requestState: round1.requestState });
    expect([honest.status, honest.body.result?.resultType]).toEqual([200, 'complete']);
    expect(honest.body.result.content[0].text).toBe('User response: action=accept, content={"username":"bob","email":"bob@example.com"}');

    // Replayed, on B and on A alike: the flow was answered.
    const replayedOnB = await call(b, { ...answer, requestState: round1.requestState });
    const replayedOnA = await call(a, { ...answer, requestState: round1.requestState });
    expect([replayedOnB.status, replayedOnB.body.error?.code, replayedOnA.body.error?.code]).toEqual([200, -32602, -32602]);
  });

  it('relays an answer and a result too long for a notification through mcp_instance_messages, which the recipients empty', async () => {
    const first = await call(a, {});
    const long = 'x'.repeat(12_000);
    const done = await call(b, { ...answerTo(first.body.result.inputRequests, long), requestState: first.body.result.requestState });
    expect([done.status, done.body.result?.resultType]).toEqual([200, 'complete']);
    expect(done.body.result.content[0].text).toContain(`"username":"${long}"`);
    const sql = new PgClient({ connectionString: database.url });
    await sql.connect();
    try {
      expect((await sql.query('SELECT count(*)::int AS n FROM mcp_instance_messages')).rows[0].n).toBe(0);
    } finally {
      await sql.end();
    }
  });

  it('answers -32603 (a condition on the gateway\'s side, not invalid params) within a few seconds when the instance holding the call is gone', async () => {
    const first = await call(a, {});
    expect(first.body.result.resultType).toBe('input_required');
    await a.kill('SIGKILL');
    const started = Date.now();
    const orphan = await call(b, { ...answerTo(first.body.result.inputRequests, 'eve'), requestState: first.body.result.requestState });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect([orphan.status, orphan.body.error?.code, orphan.body.error?.message, orphan.body.error?.data]).toEqual([200, -32603, expect.stringContaining('no longer pending'), { reason: 'HOLDER_GONE' }]);
  });
});
