/**
 * Debug logs across instances: two real gateway processes on one PostgreSQL database, a client
 * on each calling a tool of the same profile (debug logging on). Each instance's
 * `GET /api/logs` lists both calls, and each one's live tail (`GET /api/logs/stream`) shows the
 * call made on the other instance, with no traffic of its own to prompt it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { TEST_ADMIN_TOKEN } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../support/postgres';
import { PROBE_SERVER, waitFor } from '../support/proxy';
import { openSse, type SseClient } from '../support/sse';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';
import { adminApi } from '../support/admin-api';

type Entry = { id: number; sessionId: string; method: string; profile: string; status: string };

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

const api = adminApi();

describePostgres('debug logs with two instances on one PostgreSQL database', () => {
  let database: TestPostgresDatabase;
  const dirs = [makeTempDir(), makeTempDir()];
  const instances: ChildGatehouse[] = [];
  const clients: Client[] = [];
  const tails: SseClient[] = [];

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    for (const dir of dirs) {
      instances.push(await spawnGatehouse({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY }, 30_000));
    }
  }, 90_000);
  afterAll(async () => {
    for (const tail of tails) tail.close();
    await Promise.allSettled(clients.map((client) => client.close()));
    await Promise.allSettled(instances.map((instance) => instance.kill('SIGTERM')));
    await database.drop();
    for (const dir of dirs) dir.cleanup();
  });

  it("lists both instances' calls on each instance, and each live tail shows the other's", async () => {
    const [a, b] = instances;
    expect((await api(a.url, 'POST', '/api/servers', { name: 'probe', transport: 'stdio', command: process.execPath, args: [PROBE_SERVER, '--label', 'logs'] })).status).toBe(201);
    expect((await api(a.url, 'POST', '/api/profiles', { slug: 'team', debugLogging: true })).status).toBe(201);
    expect((await api(a.url, 'PUT', '/api/profiles/team/servers/probe', { status: 'active' })).status).toBe(201);
    const issued = await api(a.url, 'POST', '/api/keys', { name: 'team-key', profiles: ['team'] });
    expect(issued.status).toBe(201);
    const [onA, onB] = [await connectClient(a.url, 'team', { key: issued.body.key }), await connectClient(b.url, 'team', { key: issued.body.key })];
    clients.push(onA, onB);
    // Each instance's tail of tool calls, opened before any call.
    const [tailA, tailB] = [await openSse(`${a.url}/api/logs/stream?profile=team&method=tools/call`, admin), await openSse(`${b.url}/api/logs/stream?profile=team&method=tools/call`, admin)];
    tails.push(tailA, tailB);

    // A call on B only: A's tail shows it (A has no traffic of its own meanwhile), so does B's.
    await onB.callTool({ name: 'probe__whoami', arguments: {} });
    const fromB = JSON.parse((await tailA.next(undefined, 10_000)).data) as Entry;
    expect(fromB).toMatchObject({ method: 'tools/call', profile: 'team', status: 'ok' });
    expect(JSON.parse((await tailB.next(undefined, 10_000)).data)).toMatchObject({ id: fromB.id, sessionId: fromB.sessionId });

    // Then a call on A: B's tail shows it, from another session.
    await onA.callTool({ name: 'probe__whoami', arguments: {} });
    const fromA = JSON.parse((await tailB.next(undefined, 10_000)).data) as Entry;
    expect(fromA).toMatchObject({ method: 'tools/call', profile: 'team', status: 'ok' });
    expect(fromA.sessionId).not.toBe(fromB.sessionId);
    expect(JSON.parse((await tailA.next(undefined, 10_000)).data)).toMatchObject({ id: fromA.id });

    // Both pages list both calls, on either instance.
    for (const instance of instances) {
      const listed = await waitFor(async () => {
        const page = await api(instance.url, 'GET', '/api/logs?profile=team&method=tools/call');
        expect(page.status).toBe(200);
        const logs = page.body.logs as Entry[];
        return logs.length >= 2 && logs;
      }, 10_000, `both calls in ${instance.url}/api/logs`);
      expect(listed.map((entry) => entry.id).sort()).toEqual([fromB.id, fromA.id].sort());
      expect(new Set(listed.map((entry) => entry.sessionId))).toEqual(new Set([fromA.sessionId, fromB.sessionId]));
    }
  }, 120_000);
});
