/**
 * Gatehouse's authorization server on two instances behind one load balancer, over one
 * PostgreSQL database: a sign-in that starts on instance A (the authorization request sets the
 * interaction cookie) is finished on instance B (login, consent, token, MCP calls), and both
 * publish the same JWKS. Each instance derives its cookie and signing keys from the store's data
 * key, so neither has keys of its own.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { startLoadBalancer, type LoadBalancer } from '../support/load-balancer';
import { MemoryOAuthClient, signInAndConsent, signInAsPerson } from '../support/oauth-server-client';
import { OAUTH_ADMIN_TOKEN } from '../support/oauth-server-gatehouse';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../support/postgres';
import { PROBE_SERVER } from '../support/proxy';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';
import { adminApi } from '../support/admin-api';

const api = adminApi(OAUTH_ADMIN_TOKEN);

describePostgres('the authorization server on two instances of one PostgreSQL store', () => {
  let database: TestPostgresDatabase;
  let balancer: LoadBalancer;
  const dirs = [makeTempDir(), makeTempDir()];
  const instances: ChildGatehouse[] = [];

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    balancer = await startLoadBalancer();
    for (const dir of dirs) {
      instances.push(await spawnGatehouse({
        GATEHOUSE_DATA_DIR: dir.path,
        GATEHOUSE_DATABASE_URL: database.url,
        GATEHOUSE_ADMIN_TOKEN: OAUTH_ADMIN_TOKEN,
        GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
        GATEHOUSE_PUBLIC_URL: balancer.url,
      }, 30_000));
    }
  }, 90_000);
  afterAll(async () => {
    await Promise.allSettled(instances.map((instance) => instance.kill('SIGTERM')));
    await balancer?.close();
    await database?.drop();
    for (const dir of dirs) dir.cleanup();
  });

  it('finishes on instance B a sign-in started on instance A: login, consent, token and MCP calls', async () => {
    const [a, b] = instances;
    expect((await api(a.url, 'POST', '/api/servers', { name: 'probe', transport: 'stdio', command: process.execPath, args: [PROBE_SERVER, '--label', 'lb'] })).status).toBe(201);
    expect((await api(a.url, 'POST', '/api/profiles', { slug: 'team', auth: { mode: 'oauth' } })).status).toBe(201);
    expect((await api(a.url, 'PUT', '/api/profiles/team/servers/probe', { status: 'active' })).status).toBe(201);
    expect((await api(a.url, 'POST', '/api/users', { name: 'ada', role: 'member', password: 'correct horse battery staple' })).status).toBe(201);
    expect((await api(a.url, 'PUT', '/api/profiles/team/access', { owner: null, visibility: 'shared', sharedWithUsers: ['ada'], sharedWithRoles: [] })).status).toBe(200);

    // Registration and the authorization request go to A; everything else (the person's login, the consent page, the token) to B.
    balancer.route((_method, path) => (path === '/oauth/authorize' || path === '/oauth/register' ? a.url : b.url));
    const endpoint = new URL(`${balancer.url}/mcp/team`);
    const oauth = new MemoryOAuthClient('two-instances');
    const first = new StreamableHTTPClientTransport(endpoint, { authProvider: oauth });
    await expect(new Client({ name: 'lb-test', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const person = await signInAsPerson(balancer.url, 'ada', 'correct horse battery staple');
    const signedIn = await signInAndConsent(oauth.authorizationUrl as URL, {}, person);
    expect(signedIn).toMatchObject({ error: null, code: expect.any(String) });
    await first.finishAuth(signedIn.code as string);
    const client = new Client({ name: 'lb-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: oauth }));
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('probe__whoami');
    await client.close();

    const servedBy = (method: string, path: RegExp) => [...new Set(balancer.routed.filter((r) => r.method === method && path.test(r.path)).map((r) => r.to))];
    expect(servedBy('GET', /^\/oauth\/authorize$/)).toEqual([a.url]);
    expect(servedBy('POST', /^\/login$/)).toEqual([b.url]);
    expect(servedBy('GET', /^\/oauth\/interaction\//)).toEqual([b.url]);
    expect(servedBy('POST', /^\/oauth\/interaction\//)).toEqual([b.url]);
    expect(servedBy('POST', /^\/oauth\/token$/)).toEqual([b.url]);
  }, 60_000);

  it('publishes the same JWKS on both instances, public parts only', async () => {
    const [onA, onB] = await Promise.all(instances.map(async (instance) => (await fetch(`${instance.url}/oauth/jwks`)).json() as Promise<{ keys: Array<Record<string, string>> }>));
    expect(onA).toEqual(onB);
    expect(onA.keys).toHaveLength(1);
    expect(onA.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
    expect(onA.keys[0]).not.toHaveProperty('d');
  });
});
