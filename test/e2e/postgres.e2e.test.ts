import { spawn } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { GATEHOUSE_BIN, sharedDatabaseInstances } from '../support/child-gatehouse';
import { connectClient } from '../support/mcp-client';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../support/postgres';
import { NotificationLog, PROBE_SERVER, waitFor } from '../support/proxy';
import { makeTempDir } from '../support/temp-dir';
import { adminApi } from '../support/admin-api';

/** The bound for a change on one instance to reach another's caches and sessions. */
const ACROSS_INSTANCES_MS = 1_000;

const api = adminApi();

describePostgres('the real bin on PostgreSQL: two instances on one database', () => {
  let database: TestPostgresDatabase;
  const gateways = sharedDatabaseInstances(() => database.url);
  const { start, started: instances } = gateways;
  const clients: Client[] = [];

  const client = async (base: string, slug: string, key: string): Promise<Client> => {
    const opened = await connectClient(base, slug, { key });
    clients.push(opened);
    return opened;
  };

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((opened) => opened.close()));
    await gateways.stop();
    await database.drop();
  });

  it('serves REST writes and MCP calls from the same database on both instances; a change on A reaches B within 1 s', async () => {
    const a = await start();
    const b = await start();
    expect(a.output()).not.toContain('gatehouse.db');
    const registered = await api(a.url, 'POST', '/api/servers', { name: 'probe', transport: 'stdio', command: process.execPath, args: [PROBE_SERVER, '--label', 'pg'] });
    expect(registered.status).toBe(201);
    expect((await api(a.url, 'POST', '/api/profiles', { slug: 'team' })).status).toBe(201);
    expect((await api(a.url, 'PUT', '/api/profiles/team/servers/probe', { status: 'active' })).status).toBe(201);
    const issued = await api(a.url, 'POST', '/api/keys', { name: 'team-key', profiles: ['team'] });
    expect(issued.status).toBe(201);

    // B reads what A wrote, through its REST API and its MCP endpoint (a key A issued).
    expect((await api(b.url, 'GET', '/api/profiles/team')).body.servers).toEqual([expect.objectContaining({ name: 'probe', status: 'active' })]);
    const onB = await client(b.url, 'team', issued.body.key as string);
    const names = async (): Promise<string[]> => (await onB.listTools()).tools.map((tool) => tool.name);
    expect(await names()).toContain('probe__whoami');
    const called = await onB.callTool({ name: 'probe__whoami', arguments: {} });
    expect(JSON.stringify(called.content)).toContain('pg');

    // A tool switched off on A: B's open session hears list_changed, and B's list follows.
    const changes = new NotificationLog(onB, ToolListChangedNotificationSchema);
    const mark = changes.mark();
    const started = Date.now();
    expect((await api(a.url, 'PATCH', '/api/profiles/team/tools/probe/whoami', { status: 'inactive' })).status).toBe(200);
    await changes.next(ACROSS_INSTANCES_MS, undefined, mark);
    expect(Date.now() - started).toBeLessThanOrEqual(ACROSS_INSTANCES_MS);
    expect(await names()).not.toContain('probe__whoami');

    // The key revoked on A is refused on B within the bound.
    expect((await api(a.url, 'DELETE', `/api/keys/${issued.body.id as string}`)).status).toBeLessThan(300);
    await waitFor(
      async () => (await fetch(`${b.url}/mcp/team`, { method: 'POST', headers: { authorization: `Bearer ${issued.body.key as string}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) })).status === 401,
      ACROSS_INSTANCES_MS,
      'the revoked key refused on B',
    );
  }, 90_000);

  it('concurrent writes on both instances get gap-free positions that each instance reads in order', async () => {
    const [a, b] = instances;
    const before = (await api(a.url, 'GET', '/api/events?limit=1000')).body.events.length as number;
    const writes = Array.from({ length: 20 }, (_, n) => api(n % 2 === 0 ? a.url : b.url, 'POST', '/api/profiles', { slug: `burst-${n}` }));
    expect((await Promise.all(writes)).map((response) => response.status)).toEqual(Array(20).fill(201));
    for (const instance of [a, b]) {
      const events = (await api(instance.url, 'GET', '/api/events?limit=1000')).body.events as { position: number }[];
      expect(events.length).toBe(before + 20);
      expect(events.map((event) => event.position)).toEqual(events.map((_, index) => index + 1));
    }
  }, 60_000);
});

describe('the real bin with an unreachable PostgreSQL', () => {
  it('exits non-zero with an error that names the URL without its password', async () => {
    const dir = makeTempDir();
    try {
      const child = spawn(process.execPath, [GATEHOUSE_BIN, 'serve'], {
        env: { PATH: process.env.PATH ?? '', GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_PORT: '0', GATEHOUSE_DATABASE_URL: 'postgres://gatehouse:hunter2-secret@127.0.0.1:1/gatehouse' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).not.toBe(0);
      expect(output).toContain('cannot open the PostgreSQL database at postgres://gatehouse:***@127.0.0.1:1/gatehouse');
      expect(output).not.toContain('hunter2');
    } finally {
      dir.cleanup();
    }
  }, 30_000);
});
