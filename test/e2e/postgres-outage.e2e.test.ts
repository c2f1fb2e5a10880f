import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { freePort, spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { TEST_ADMIN_TOKEN } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { PROBE_SERVER, waitFor } from '../support/proxy';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';
import { adminApi } from '../support/admin-api';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'postgres-local.sh');
const hasPostgresBinaries = existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((version) => existsSync(`/usr/lib/postgresql/${version}/bin/pg_ctl`));

const api = adminApi();

/**
 * A PostgreSQL server of the test's own (scripts/postgres-local.sh: Debian's initdb and pg_ctl),
 * stopped and started again under a running gateway.
 */
const suite = hasPostgresBinaries || process.env.CI === 'true' ? describe : describe.skip;
if (!hasPostgresBinaries) console.warn('SKIPPED the PostgreSQL outage test: no pg_ctl under /usr/lib/postgresql (apt-get install postgresql)');

suite('PostgreSQL lost while the gateway runs', () => {
  const pgDir = `/tmp/gatehouse-pg-outage-${process.pid}`;
  let env: Record<string, string>;
  const dir = makeTempDir();
  let gateway: ChildGatehouse;
  let client: Client;
  // Not execFileSync: a test process blocked for seconds finds its pooled keep-alive sockets closed
  // by the gateway meanwhile, unnoticed, and its next request on one fails with ECONNRESET.
  const pg = (action: 'start' | 'stop') => promisify(execFile)('bash', [SCRIPT, action], { env: { ...process.env, ...env }, timeout: 60_000 });

  beforeAll(async () => {
    const port = await freePort();
    env = { GATEHOUSE_PG_DIR: pgDir, GATEHOUSE_PG_PORT: String(port) };
    await pg('start');
    gateway = await spawnGatehouse({
      GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
      GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
    }, 30_000);
    expect((await api(gateway.url, 'POST', '/api/servers', { name: 'probe', transport: 'stdio', command: process.execPath, args: [PROBE_SERVER] })).status).toBe(201);
    expect((await api(gateway.url, 'POST', '/api/profiles', { slug: 'open', auth: { apiKey: false } })).status).toBe(201);
    expect((await api(gateway.url, 'PUT', '/api/profiles/open/servers/probe', { status: 'active' })).status).toBe(201);
    client = await connectClient(gateway.url, 'open');
  }, 120_000);
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await gateway?.kill('SIGTERM');
    try {
      await pg('stop');
    } catch {
      // already stopped
    }
    rmSync(pgDir, { recursive: true, force: true });
    dir.cleanup();
  });

  it('answers writes 503 problem+json while the database is down, serves MCP calls from its caches, and writes again once it is back', async () => {
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('probe__whoami');
    await pg('stop');
    const refused = await api(gateway.url, 'POST', '/api/profiles', { slug: 'during-outage' });
    expect(refused.status).toBe(503);
    expect(refused.type).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    const read = await api(gateway.url, 'GET', '/api/profiles');
    expect([200, 503]).toContain(read.status);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('probe__whoami');
    expect((await client.callTool({ name: 'probe__whoami', arguments: {} })).isError).toBeFalsy();

    await pg('start');
    const created = await waitFor(async () => {
      const response = await api(gateway.url, 'POST', '/api/profiles', { slug: 'after-outage' });
      return response.status === 201 ? response : undefined;
    }, 15_000, 'a write once the database is back', 250);
    expect(created.body).toMatchObject({ slug: 'after-outage' });
    expect((await api(gateway.url, 'GET', '/api/profiles/during-outage')).status).toBe(404);
  }, 120_000);
});
