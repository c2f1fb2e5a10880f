import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openApplication, type Application } from '../../src/infrastructure/application';
import { loadConfig } from '../../src/infrastructure/config/config';
import { freePort, spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { runCli } from '../support/cli';
import { TEST_ADMIN_TOKEN } from '../support/gatehouse';
import { MemoryOAuthClient, signInAndConsent, signInAsPerson } from '../support/oauth-server-client';
import { initializeRequest, PROBE_SERVER, rawMcp, rawSession, resultText, sessionHeaders } from '../support/proxy';
import { clock, runHistory } from '../support/history';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../support/postgres';
import { READ_MODEL_TABLES } from '../support/read-models';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';
import { storageOf } from '../../src/infrastructure/application-storage';

const open = (dir: string, url?: string): Promise<Application> =>
  openApplication(loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, ...(url === undefined ? {} : { GATEHOUSE_DATABASE_URL: url }) }));

/** What must be the same on both stores: the log, the journal and every read model's rows. */
const snapshot = async (app: Application) => {
  const rows = async (sql: string) => storageOf(app).database.reads.query(sql) as Promise<unknown[]>;
  const readModels: Record<string, unknown[]> = {};
  for (const [table, key] of Object.entries(READ_MODEL_TABLES)) readModels[table] = await rows(`SELECT * FROM ${table} ORDER BY ${key}`);
  return {
    events: (await app.store.readAll()).map((event) => [event.position, event.id, event.streamId, event.version, event.type, event.data, event.metadata]),
    journal: await rows('SELECT seq, recorded_at, record FROM traffic_journal ORDER BY seq'),
    debugLogs: await rows('SELECT id, method, status FROM debug_logs ORDER BY id'),
    readModels,
  };
};

const env = (dir: string): Record<string, string> => ({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY });

describePostgres('gatehouse migrate-store (the built bin)', () => {
  const dirs = [makeTempDir(), makeTempDir()];
  const [sqliteDir, backDir] = dirs;
  let database: TestPostgresDatabase;
  let original: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    const app = await open(sqliteDir.path);
    try {
      await runHistory(app, clock());
      const record = (at: string, method: string) => JSON.stringify({
        at, profileId: 'p1', profileSlug: 'dev', sessionId: 's1', clientName: 'test', serverId: null, serverName: 'files', kind: 'request', method,
        target: null, status: 'ok', errorCode: null, errorMessage: null, durationMs: 1.25, requestBytes: 10, responseBytes: 20, paramsTruncated: false, resultTruncated: false,
      });
      await storageOf(app).database.write((manager) =>
        manager.query(`INSERT INTO traffic_journal (recorded_at, record, params, result) VALUES (?, ?, '{}', '{"ok":true}'), (?, ?, NULL, NULL)`, [
          '2026-01-01T00:00:00.000Z', record('2026-01-01T00:00:00.000Z', 'tools/list'), '2026-01-01T00:00:01.000Z', record('2026-01-01T00:00:01.000Z', 'tools/call'),
        ]),
      );
      await app.maintenance.rebuild();
      original = await snapshot(app);
    } finally {
      await app.close();
    }
  }, 60_000);
  afterAll(async () => {
    await database.drop();
    for (const dir of dirs) dir.cleanup();
  });

  it('--to copies the SQLite store into PostgreSQL: same positions, journal and read models; secrets open there', async () => {
    const run = await runCli(env(sqliteDir.path), 'migrate-store', '--to', database.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`events: ${original.events.length} rows`);
    expect(run.stdout).toContain('traffic_journal: 2 rows');
    const copy = await open(sqliteDir.path, database.url);
    try {
      expect(await snapshot(copy)).toEqual(original);
      // The secrets copied sealed open on PostgreSQL with the same master key.
      const [files] = (await storageOf(copy).database.reads.query(`SELECT env FROM servers WHERE name = 'files'`)) as { env: string }[];
      const opened: string[] = [];
      const visit = (value: unknown): void => {
        if (value === null || typeof value !== 'object') return;
        try {
          opened.push(copy.secrets.open(value as Parameters<typeof copy.secrets.open>[0]));
        } catch {
          Object.values(value).forEach(visit);
        }
      };
      visit(JSON.parse(files.env));
      expect(opened).toContain('files-token-0001');
    } finally {
      await copy.close();
    }
  }, 60_000);

  it('refuses to fill a store that is not empty, and changes nothing', async () => {
    const run = await runCli(env(sqliteDir.path), 'migrate-store', '--to', database.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is not empty');
  }, 30_000);

  it('--from copies it back into a fresh SQLite file with the same contents', async () => {
    const run = await runCli(env(backDir.path), 'migrate-store', '--from', database.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const back = await open(backDir.path);
    try {
      expect(await snapshot(back)).toEqual(original);
    } finally {
      await back.close();
    }
  }, 60_000);

  it('says how to use it when --to or --from is missing or not a postgres:// URL', async () => {
    expect((await runCli(env(sqliteDir.path), 'migrate-store')).code).toBe(2);
    const wrong = await runCli(env(sqliteDir.path), 'migrate-store', '--to', 'mysql://x');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('must be a postgres:// URL');
  }, 30_000);
});

describePostgres('gatehouse migrate-store with a store that was served: people stay signed in, OAuth grants and MCP sessions go on', () => {
  const [sqliteDir, backDir] = [makeTempDir(), makeTempDir()];
  let database: TestPostgresDatabase;
  let port: number;
  let gatehouse: ChildGatehouse | null = null;
  const base = (): string => `http://127.0.0.1:${port}`;
  // The same address every time: the authorization server's issuer, which its tokens name.
  const serve = async (env: Record<string, string>): Promise<ChildGatehouse> => {
    gatehouse = await spawnGatehouse({
      GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_PORT: String(port), GATEHOUSE_PUBLIC_URL: base(),
      GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '100000', ...env,
    }, 30_000);
    return gatehouse;
  };
  const stop = async (): Promise<void> => {
    await gatehouse?.kill('SIGTERM');
    gatehouse = null;
  };
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience: bodies are asserted field by field
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  };
  /** Who the browser's cookies sign in as (GET /api/me), or the HTTP status when nobody. */
  const signedInAs = async (cookies: ReadonlyMap<string, string>): Promise<string | number> => {
    const response = await fetch(`${base()}/api/me`, { headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } });
    const body = (await response.json()) as { kind?: string; name?: string };
    return response.status === 200 && body.kind === 'user' ? (body.name as string) : response.status;
  };
  /** The refresh grant at the token endpoint, as a client does once its access token has lapsed. */
  const refresh = async (clientId: string, refreshToken: string): Promise<{ status: number; body: { access_token?: string; refresh_token?: string; error?: string } }> => {
    const response = await fetch(`${base()}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, resource: `${base()}/mcp/team` }),
    });
    return { status: response.status, body: (await response.json()) as { access_token?: string; refresh_token?: string; error?: string } };
  };
  const whoami = (sessionId: string, key: string) =>
    rawMcp(`${base()}/mcp/team`, {
      body: { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'probe__whoami', arguments: {} } },
      headers: sessionHeaders(sessionId, { authorization: `Bearer ${key}` }),
    });
  /** On the store now served: the same person is signed in, the refresh token works once (rotated), the session answers. */
  const everythingGoesOn = async (state: { cookies: Map<string, string>; clientId: string; refreshToken: string; sessionId: string; key: string }): Promise<void> => {
    expect(await signedInAs(state.cookies)).toBe('ada');
    expect(await signedInAs(new Map([...state.cookies].map(([name, value]) => [name, `${value.slice(0, -4)}AAAA`])))).toBe(401);
    const refreshed = await refresh(state.clientId, state.refreshToken);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toEqual(expect.any(String));
    expect(refreshed.body.refresh_token).not.toBe(state.refreshToken);
    const withToken = await rawMcp(`${base()}/mcp/team`, { body: initializeRequest(), headers: { authorization: `Bearer ${refreshed.body.access_token}` } });
    expect(withToken.status).toBe(200);
    expect((await refresh(state.clientId, 'not-a-refresh-token')).body.error).toBe('invalid_grant');
    state.refreshToken = refreshed.body.refresh_token as string;
    const called = await whoami(state.sessionId, state.key);
    expect(called.status).toBe(200);
    expect(resultText(called.json?.result)).toContain('migrated');
  };

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    port = await freePort();
  });
  afterAll(async () => {
    await stop();
    await database.drop();
    for (const dir of [sqliteDir, backDir]) dir.cleanup();
  });

  it('copies user_sessions, oauth_server_records and mcp_sessions: a cookie, a refresh token and a session id work after --to and after --from', async () => {
    await serve({ GATEHOUSE_DATA_DIR: sqliteDir.path });
    expect((await api('POST', '/api/servers', { name: 'probe', transport: 'stdio', command: process.execPath, args: [PROBE_SERVER, '--label', 'migrated'] })).status).toBe(201);
    expect((await api('POST', '/api/profiles', { slug: 'team', auth: { mode: 'both' } })).status).toBe(201);
    expect((await api('PUT', '/api/profiles/team/servers/probe', { status: 'active' })).status).toBeLessThan(300);
    const issued = await api('POST', '/api/keys', { name: 'team-key', profiles: ['team'] });
    expect(issued.status).toBe(201);
    expect((await api('POST', '/api/users', { name: 'ada', role: 'member', password: 'correct horse battery staple' })).status).toBe(201);
    expect((await api('PUT', '/api/profiles/team/access', { owner: null, visibility: 'shared', sharedWithUsers: ['ada'], sharedWithRoles: [] })).status).toBe(200);

    // A person signs in; an MCP client gets a grant from them (code flow) and holds a refresh token; a key opens a session.
    const cookies = await signInAsPerson(base(), 'ada', 'correct horse battery staple');
    expect(await signedInAs(cookies)).toBe('ada');
    const oauth = new MemoryOAuthClient('migrating-client');
    const transport = new StreamableHTTPClientTransport(new URL(`${base()}/mcp/team`), { authProvider: oauth });
    await expect(new Client({ name: 'migrating', version: '1.0.0' }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const consent = await signInAndConsent(oauth.authorizationUrl as URL, {}, cookies);
    expect(consent.code).toEqual(expect.any(String));
    await transport.finishAuth(consent.code as string);
    await transport.close();
    const key = issued.body.key as string;
    const sessionId = await rawSession(`${base()}/mcp/team`, { authorization: `Bearer ${key}` });
    expect((await whoami(sessionId, key)).status).toBe(200);
    const state = { cookies, clientId: oauth.client?.client_id as string, refreshToken: oauth.saved?.refresh_token as string, sessionId, key };
    expect(state.refreshToken).toEqual(expect.any(String));
    await stop();

    const to = await runCli(env(sqliteDir.path), 'migrate-store', '--to', database.url);
    expect(to.stderr).toBe('');
    expect(to.code).toBe(0);
    expect(to.stdout).toContain('user_sessions: 1 rows');
    expect(to.stdout).toContain('mcp_sessions: 1 rows');
    expect(to.stdout).toMatch(/oauth_server_records: [1-9]\d* rows/);
    await serve({ GATEHOUSE_DATA_DIR: sqliteDir.path, GATEHOUSE_DATABASE_URL: database.url });
    await everythingGoesOn(state);
    await stop();

    // Back into a fresh SQLite file, with what PostgreSQL holds now (the refresh token rotated there).
    const from = await runCli(env(backDir.path), 'migrate-store', '--from', database.url);
    expect(from.stderr).toBe('');
    expect(from.code).toBe(0);
    await serve({ GATEHOUSE_DATA_DIR: backDir.path });
    await everythingGoesOn(state);
    await stop();
  }, 240_000);
});
