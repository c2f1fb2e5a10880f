/**
 * Streamable HTTP sessions outlive the gateway process: the built bin runs as a child process,
 * a real SDK client connects, the process is stopped (SIGTERM, kill -9) and started again on
 * the same port and data dir, and the client goes on with the same Mcp-Session-Id, without
 * initializing again: tool calls, the log level it set, its resource subscriptions and its
 * declared capabilities (elicitation) all hold. The bad cases: a forged or altered id, another
 * key or profile, a revoked key, a DELETEd session and an idle one are not resumed.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ElicitRequestSchema, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { join } from 'node:path';
import { freePort, spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { TEST_ADMIN_TOKEN } from '../support/gatehouse';
import { FIXTURES } from '../support/mcp-client';
import { rawMcp, rawSession, resultText, sessionHeaders, waitFor } from '../support/proxy';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../support/postgres';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

jest.setTimeout(120_000);

const SESSION_SERVER = join(FIXTURES, 'session-server.js');

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience: bodies are asserted field by field

const apiOf = (gatehouse: () => ChildGatehouse): Api => async (method, path, body) => {
  const response = await fetch(`${gatehouse().url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
};

/**
 * A client that keeps reconnecting its GET stream while the gateway is down (the SDK's default
 * gives up after two tries). With `sessionId` it goes on with that session (the SDK then skips
 * initialize), as a client whose load balancer sent it to another instance.
 */
const connect = async (url: string, key: string, sessionId?: string) => {
  const client = new Client({ name: 'survivor', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
  const logs: LoggingMessageNotification['params'][] = [];
  const updates: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logs.push(notification.params));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => void updates.push(notification.params.uri));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { word: 'still here' } }));
  // The SDK schedules another GET attempt when one fails, also after close (an aborted fetch
  // fails too): once closed, an attempt waits forever instead, and holds no timer.
  let closed = false;
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: (input, init) => (closed ? new Promise<Response>(() => undefined) : fetch(input, init)),
    requestInit: { headers: { authorization: `Bearer ${key}` } },
    reconnectionOptions: { initialReconnectionDelay: 100, maxReconnectionDelay: 300, reconnectionDelayGrowFactor: 1.5, maxRetries: 200 },
    sessionId,
  });
  let initializations = 0;
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if ((message as { method?: string }).method === 'initialize') initializations += 1;
    return send(message, options);
  };
  await client.connect(transport);
  const close = client.close.bind(client);
  client.close = () => {
    closed = true;
    return close();
  };
  return { client, transport, logs, updates, initializations: () => initializations };
};

type Connected = Awaited<ReturnType<typeof connect>>;

const echo = async (client: Client, text: string): Promise<string> => resultText(await client.callTool({ name: 'sessions__echo', arguments: { text } }));

/** The suite on one backend: SQLite in the data dir, or a PostgreSQL database made for it (and dropped after). */
const survival = (postgres?: () => Promise<TestPostgresDatabase>) => () => {
  const dir = makeTempDir();
  let database: TestPostgresDatabase | undefined;
  const env = (gatewayPort: number): Record<string, string> => ({
    GATEHOUSE_DATA_DIR: dir.path,
    GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
    GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    GATEHOUSE_PORT: String(gatewayPort),
    ...(database ? { GATEHOUSE_DATABASE_URL: database.url } : {}),
  });
  let port: number;
  let gatehouse: ChildGatehouse;
  const api = apiOf(() => gatehouse);
  let key: string;
  let keyId: string;
  let otherKey: string;
  const opened: Connected[] = [];

  const start = async (): Promise<ChildGatehouse> => {
    gatehouse = await spawnGatehouse(env(port));
    return gatehouse;
  };

  /** Stops the gateway (SIGTERM: a clean shutdown; SIGKILL: none at all) and starts it again on the same port. */
  const restart = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const exit = await gatehouse.kill(signal);
    expect(signal === 'SIGTERM' ? exit : exit.signal).toEqual(signal === 'SIGTERM' ? { code: 0, signal: null } : 'SIGKILL');
    await start();
  };

  const open = async (slug = 'survive', presented = key): Promise<Connected> => {
    const connected = await connect(`${gatehouse.url}/mcp/${slug}`, presented);
    opened.push(connected);
    return connected;
  };

  beforeAll(async () => {
    database = await postgres?.();
    port = await freePort();
    await start();
    expect((await api('POST', '/api/servers', { name: 'sessions', transport: 'stdio', command: process.execPath, args: [SESSION_SERVER] })).status).toBe(201);
    for (const slug of ['survive', 'elsewhere']) {
      expect((await api('POST', '/api/profiles', { slug })).status).toBe(201);
      expect((await api('PUT', `/api/profiles/${slug}/servers/sessions`, { status: 'active' })).status).toBeLessThan(300);
    }
    const issued = await api('POST', '/api/keys', { name: 'survivor', profiles: ['*'] });
    expect(issued.status).toBe(201);
    key = issued.body.key;
    keyId = issued.body.id;
    otherKey = (await api('POST', '/api/keys', { name: 'other', profiles: ['*'] })).body.key;
  });

  afterAll(async () => {
    await Promise.allSettled(opened.map(({ client }) => client.close()));
    await gatehouse?.kill('SIGKILL');
    await database?.drop();
    dir.cleanup();
  });

  it('goes on after SIGTERM and after kill -9: same session id, no second initialize, log level, subscriptions and capabilities kept', async () => {
    const session = await open();
    const { client, transport } = session;
    const sessionId = transport.sessionId;
    expect(sessionId).toMatch(/^gh1\./);
    await client.setLoggingLevel('warning');
    await client.subscribeResource({ uri: 'session://counter' });
    const before = await echo(client, 'before');
    expect(before).toMatch(/^before from \d+$/);

    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      await restart(signal);
      const listening = performance.now();
      const after = await echo(client, `after ${signal}`);
      const firstCallMs = performance.now() - listening;
      // A new upstream process behind the same downstream session.
      expect(after).toMatch(new RegExp(`^after ${signal} from \\d+$`));
      expect(after.split(' from ')[1]).not.toBe(before.split(' from ')[1]);
      expect(transport.sessionId).toBe(sessionId);
      expect(session.initializations()).toBe(1);
      process.stdout.write(`first proxied call after a ${signal} restart: ${firstCallMs.toFixed(0)} ms after listening\n`);

      // The level set before the restart filters the new upstream's log.
      session.logs.length = 0;
      expect(resultText(await client.callTool({ name: 'sessions__log_levels', arguments: {} }))).toBe('logged: warning,error');
      expect(session.logs.map((log) => log.level)).toEqual(['warning', 'error']);

      // The subscription was renewed on the new upstream; the update reaches the client on its
      // GET stream once the SDK has reconnected it (bounded: it retries every 100–300 ms).
      await waitFor(async () => {
        const touched = resultText(await client.callTool({ name: 'sessions__touch', arguments: {} }));
        return touched.endsWith('subscribed: true') && session.updates.includes('session://counter');
      }, 15_000, `resources/updated after ${signal}`, 200);
      session.updates.length = 0;

      // The capabilities the client declared at initialize still let the upstream elicit.
      expect(resultText(await client.callTool({ name: 'sessions__ask', arguments: {} }))).toBe('answer: accept {"word":"still here"}');
    }
    expect(gatehouse.output()).toContain('"session resumed"');
    await client.close();
  });

  it('goes on on a second instance that shares the database, and back on the first', async () => {
    const session = await open();
    const sessionId = session.transport.sessionId as string;
    await session.client.setLoggingLevel('error');
    const second = await spawnGatehouse(env(await freePort()));
    try {
      const moved = await connect(`${second.url}/mcp/survive`, key, sessionId);
      opened.push(moved);
      expect(moved.initializations()).toBe(0);
      expect(await echo(moved.client, 'on the second')).toMatch(/^on the second from \d+$/);
      expect(moved.transport.sessionId).toBe(sessionId);
      expect(resultText(await moved.client.callTool({ name: 'sessions__log_levels', arguments: {} }))).toBe('logged: error');
      expect(moved.logs.map((log) => log.level)).toEqual(['error']);
      expect(resultText(await moved.client.callTool({ name: 'sessions__ask', arguments: {} }))).toBe('answer: accept {"word":"still here"}');
      expect(second.output()).toContain('"session resumed"');
      // The first instance still serves it too.
      expect(await echo(session.client, 'on the first')).toMatch(/^on the first from \d+$/);
      await moved.client.close();
    } finally {
      expect(await second.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    }
    // The second one's shutdown did not end the session.
    expect(await echo(session.client, 'after the second stopped')).toMatch(/from \d+$/);
    await session.client.close();
  });

  it('refuses a forged, altered or misplaced id with 404, and a revoked key with 401', async () => {
    const { client, transport } = await open();
    const sessionId = transport.sessionId as string;
    // Only raw requests from here on: the client's GET stream would retry with the revoked key.
    await client.close();
    await restart('SIGKILL');
    const list = { jsonrpc: '2.0', id: 7, method: 'tools/list' };
    const post = (slug: string, id: string, presented = key) =>
      rawMcp(`${gatehouse.url}/mcp/${slug}`, { body: list, headers: sessionHeaders(id, { authorization: `Bearer ${presented}` }) });
    const flipped = (at: number): string => sessionId.slice(0, at) + (sessionId[at] === 'A' ? 'B' : 'A') + sessionId.slice(at + 1);

    for (const forged of [flipped(sessionId.length - 3), flipped(20), 'gh1.garbage', `${sessionId}A`, '0b6f3f57-65c8-4a55-9a0e-6f7a0f7cf0f1']) {
      const refused = await post('survive', forged);
      expect({ forged, status: refused.status }).toEqual({ forged, status: 404 });
      expect(refused.json?.error?.message).toBe('Session not found');
    }
    // Bound to its profile and its key.
    expect((await post('elsewhere', sessionId)).status).toBe(404);
    expect((await post('survive', sessionId, otherKey)).status).toBe(404);
    // None of that ended it.
    const listed = await post('survive', sessionId);
    expect(listed.status).toBe(200);
    expect(listed.json?.result?.tools.map((tool: { name: string }) => tool.name)).toContain('sessions__echo');

    expect((await api('DELETE', `/api/keys/${keyId}`)).status).toBeLessThan(300);
    expect((await post('survive', sessionId)).status).toBe(401);
    await restart('SIGKILL');
    expect((await post('survive', sessionId)).status).toBe(401);
    key = otherKey;
  });

  it('does not resume a session its client DELETEd', async () => {
    const { client, transport } = await open();
    const sessionId = transport.sessionId as string;
    await transport.terminateSession();
    await client.close();
    await restart('SIGTERM');
    const refused = await rawMcp(`${gatehouse.url}/mcp/survive`, {
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      headers: sessionHeaders(sessionId, { authorization: `Bearer ${key}` }),
    });
    expect(refused.status).toBe(404);
  });

  it('does not resume a session idle for longer than the idle timeout, and resumes one kept busy', async () => {
    // Raw sessions: an SDK client's GET stream, reconnecting, would be activity of its own.
    const url = `${gatehouse.url}/mcp/survive`;
    const auth = { authorization: `Bearer ${key}` };
    const list = (id: string) => rawMcp(url, { body: { jsonrpc: '2.0', id: 3, method: 'tools/list' }, headers: sessionHeaders(id, auth) });
    expect((await api('PATCH', '/api/settings', { sessionIdleTimeoutMs: 10_000 })).status).toBe(200);
    try {
      const idle = await rawSession(url, auth);
      const busy = await rawSession(url, auth);
      // The busy one is heard from every 300 ms for longer than the timeout; the idle one not at
      // all. The restart counts as idle time too: the timeout leaves a loaded machine 10 s for it.
      const until = Date.now() + 12_000;
      while (Date.now() < until) {
        expect((await list(busy)).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      await restart('SIGKILL');
      expect((await list(busy)).status).toBe(200);
      const refused = await list(idle);
      expect(refused.status).toBe(404);
      expect(refused.json?.error?.message).toBe('Session not found');
    } finally {
      expect((await api('PATCH', '/api/settings', { sessionIdleTimeoutMs: 30 * 60_000 })).status).toBe(200);
    }
  });
};

describe('Streamable HTTP sessions across a gateway restart, on SQLite', survival());
describePostgres('Streamable HTTP sessions across a gateway restart, on PostgreSQL', survival(createTestPostgresDatabase));
