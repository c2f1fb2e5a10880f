import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureServer, startHttpServer, type RunningHttpServer } from '../fixtures/upstream-fixtures';
import { allEvents } from '../support/events';
import { startTestGatehouse, type ApiResponse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { expectProblem } from '../support/problem';
import { SessionClient, signedInMemberWithKey } from '../support/session-client';

jest.setTimeout(120_000);

/** Each user's own secrets: none may ever be stored, logged or answered in plaintext. */
const SECRETS = {
  annToken: 'ann-upstream-token-7f3a9c2e1b',
  bobToken: 'bob-upstream-token-4d8e6a0f5c',
  annEnv: 'ann-env-secret-91b2c3d4e5',
  bobEnv: 'bob-env-secret-0a1b2c3d4e',
  annNote: 'ann-session-note-3c4d5e6f70',
  bobNote: 'bob-session-note-8a9b0c1d2e',
  /** The `shared` server's own token, which every client of it uses. */
  sharedToken: 'shared-upstream-token-5e6f7a8b9c',
  /** A secret header and a secret env value of the servers' own: sent for `shared`, never on a user's connection. */
  sharedHeader: 'shared-header-key-6a7b8c9d0e',
  sharedEnv: 'shared-env-secret-1f2e3d4c5b',
} as const;
/** Headers every server here is configured with: a credential and a plain setting. */
const SERVER_HEADERS = { 'X-Api-Key': SECRETS.sharedHeader, 'X-Tenant': 'acme' };
/** Credentials under names or in values the env rule alone would take for configuration: none may reach a user's connection. */
const DISGUISED_HEADERS = {
  'X-Forward': 'Bearer sometoken', 'X-Custom': 'Basic dXNlcjpwYXNzd29yZA==', 'X-Authentication': 'a', 'X-JWT': 'b', 'X-Bearer': 'c',
  'X-Passcode': 'd', 'X-Otp': '123456', 'X-Pin': '0000', 'X-Sig': 'e',
};
const PASSWORD = 'a long enough password 42';
const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };
const call = async (client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> =>
  (await client.callTool({ name, arguments: args })) as ToolResult;
type Seen = { tokenSha256: string; headers?: Record<string, string> };
const seenBy = async (client: Client, delayMs = 0, server = 'remote'): Promise<Seen> => {
  const result = await call(client, `${server}__whoami`, { delayMs });
  expect(result.isError).toBeFalsy();
  return JSON.parse(result.content[0].text) as Seen;
};
const whoami = async (client: Client, delayMs = 0, server = 'remote'): Promise<string> => (await seenBy(client, delayMs, server)).tokenSha256;
const envOf = async (client: Client): Promise<{ env: Record<string, string>; pid: number }> =>
  JSON.parse((await call(client, 'envy__get_env')).content[0].text) as { env: Record<string, string>; pid: number };

describe('per-user upstream credentials: each user reaches a per_user server as themselves', () => {
  let gh: TestGatehouse;
  let upstream: RunningHttpServer;
  const logLines: string[] = [];
  const answers: string[] = [];
  const people: Record<'ann' | 'bob' | 'cat', SessionClient> = {} as never;
  const keys: Record<string, string> = {};
  const clients: Record<string, Client> = {};
  let bobPat: string;

  const kept = (response: ApiResponse): ApiResponse => {
    answers.push(JSON.stringify(response.body));
    return response;
  };
  const asBob = (method: string, path: string, body?: unknown) => gh.api(method, path, body, { authorization: `Bearer ${bobPat}` });
  const connections = async (server: string): Promise<number> => (await gh.api('GET', `/api/servers/${server}`)).body.runtime.connections;
  const until = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    upstream = await startHttpServer([fixtureServer('whoami-server.js')]);
    gh = await startTestGatehouse({ GATEHOUSE_LOG_LEVEL: 'debug' }, { write: (line) => void logLines.push(line) });
    // `remote` starts shared and is switched to per_user, so that its history shows both.
    expect((await gh.api('POST', '/api/servers', { name: 'remote', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp`, headers: { ...SERVER_HEADERS, ...DISGUISED_HEADERS } })).status).toBe(201);
    expect((await gh.api('PATCH', '/api/servers/remote', { credentials: 'per_user' })).body.credentials).toBe('per_user');
    const envy = { name: 'envy', transport: 'stdio', command: process.execPath, args: [fixtureServer('env-server.js')], env: { MODE: 'plain-mode', SHARED_KEY: { value: SECRETS.sharedEnv, secret: true } }, credentials: 'per_user' };
    expect((await gh.api('POST', '/api/servers', envy)).status).toBe(201);
    const sess = { name: 'sess', transport: 'stdio', command: process.execPath, args: [fixtureServer('session-server.js')], credentials: 'per_user' };
    expect((await gh.api('POST', '/api/servers', sess)).status).toBe(201);
    const shared = { name: 'shared', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp`, bearerToken: SECRETS.sharedToken, headers: SERVER_HEADERS };
    expect((await gh.api('POST', '/api/servers', shared)).status).toBe(201);
    // Debug logs on: the calls' answers are recorded, so the search for plaintext below covers them.
    expect((await gh.api('POST', '/api/profiles', { slug: 'team', debugLogging: true })).status).toBe(201);
    for (const server of ['remote', 'envy', 'shared', 'sess']) {
      expect((await gh.api('PUT', `/api/profiles/team/servers/${server}`, { status: 'active' })).status).toBeLessThan(300);
      expect((await gh.api('PUT', `/api/servers/${server}/access`, { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] })).status).toBe(200);
    }
    expect((await gh.api('PUT', '/api/profiles/team/access', { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] })).status).toBe(200);
    for (const name of ['ann', 'bob', 'cat'] as const) {
      ({ person: people[name], key: keys[name] } = await signedInMemberWithKey(gh, name, PASSWORD, ['team']));
    }
    bobPat = (await people.bob.write('POST', '/api/me/tokens', { name: 'bob script' })).body.token;
    const adminKey = await gh.api('POST', '/api/keys', { name: 'automation', profiles: ['team'] });
    keys.admin = adminKey.body.key;
  });

  afterAll(async () => {
    await Promise.allSettled(Object.values(clients).map((client) => client.close()));
    await gh?.stop();
    await upstream?.stop();
  });

  it('lets a user set their own credentials (signed in, or with a personal access token) and shows only which are set', async () => {
    const ann = kept(await people.ann.write('PUT', '/api/servers/remote/credentials', { bearerToken: SECRETS.annToken }));
    expect(ann.status).toBe(200);
    expect(ann.body).toMatchObject({ configured: true, bearerToken: true, env: [], version: 1 });
    expect(kept(await people.ann.write('PUT', '/api/servers/envy/credentials', { env: { API_TOKEN: SECRETS.annEnv } })).body).toMatchObject({ configured: true, bearerToken: false, env: ['API_TOKEN'] });
    expect(kept(await asBob('PUT', '/api/servers/remote/credentials', { bearerToken: SECRETS.bobToken })).status).toBe(200);
    expect(kept(await people.ann.write('PUT', '/api/servers/sess/credentials', { env: { NOTE: SECRETS.annNote } })).status).toBe(200);
    expect(kept(await asBob('PUT', '/api/servers/sess/credentials', { env: { NOTE: SECRETS.bobNote } })).status).toBe(200);
    expect(kept(await asBob('PUT', '/api/servers/envy/credentials', { env: { API_TOKEN: SECRETS.bobEnv } })).status).toBe(200);
    // Setting the same values again appends nothing.
    expect(kept(await asBob('PUT', '/api/servers/envy/credentials', { env: { API_TOKEN: SECRETS.bobEnv } })).body.version).toBe(1);

    expect(kept(await people.bob.request('GET', '/api/servers/remote/credentials')).body).toMatchObject({ configured: true, bearerToken: true });
    expect(kept(await people.cat.request('GET', '/api/servers/remote/credentials')).body).toEqual({
      serverId: expect.any(String), configured: false, bearerToken: false, env: [], oauth: null, lastRefreshError: null, updatedAt: null, version: 0,
    });
    const events = await allEvents(gh, '&type=UserCredentialsSet');
    expect(events).toHaveLength(6);
    expect(events.map((event) => event.metadata.actor)).toEqual(expect.arrayContaining([expect.stringMatching(/^user:ann\//), expect.stringMatching(/^user:bob\//)]));
    answers.push(JSON.stringify(events));
  });

  it('refuses what cannot be per-user credentials with a clear 4xx', async () => {
    expectProblem(kept(await gh.api('PUT', '/api/servers/remote/credentials', { bearerToken: 'x' })), 409, 'NOT_A_USER');
    expectProblem(kept(await gh.api('GET', '/api/servers/remote/credentials')), 409, 'NOT_A_USER');
    expectProblem(kept(await people.ann.write('PUT', '/api/servers/shared/credentials', { bearerToken: 'x' })), 409, 'CREDENTIALS_NOT_PER_USER');
    expectProblem(kept(await people.ann.write('PUT', '/api/servers/remote/credentials', {})), 400, 'INVALID_CREDENTIALS');
    expectProblem(kept(await people.ann.write('PUT', '/api/servers/remote/credentials', { bearerToken: 'a\r\nX-Forged: 1' })), 400, 'INVALID_CREDENTIALS');
    expectProblem(kept(await people.ann.write('PUT', '/api/servers/remote/credentials', { env: { A: 1 } })), 400, 'VALIDATION_FAILED');
    expectProblem(kept(await people.ann.write('PUT', '/api/servers/remote/credentials', { bearerToken: 'x', extra: true })), 400, 'VALIDATION_FAILED');
    expectProblem(kept(await people.ann.write('PUT', '/api/servers/nope/credentials', { bearerToken: 'x' })), 404, 'SERVER_NOT_FOUND');
    // The server's own OAuth grant would be the admin's: per-user OAuth is not there yet, so none is started.
    const oauth = expectProblem(kept(await gh.api('POST', '/api/servers/remote/oauth/authorize', {})), 409, 'OAUTH_UNSUPPORTED');
    expect(oauth.detail).toContain('PUT /api/servers/remote/credentials');
    // Discovery on demand has no user to connect as.
    expectProblem(kept(await gh.api('POST', '/api/servers/remote/discover')), 409, 'PER_USER_SERVER');
  });

  it('refuses a per_user server whose url or args carry a credential, which would reach every user', async () => {
    const leaky = { name: 'leaky', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp?api_key=leaky-url-key` };
    expect((await gh.api('POST', '/api/servers', leaky)).status).toBe(201);
    expect(expectProblem(await gh.api('PATCH', '/api/servers/leaky', { credentials: 'per_user' }), 400, 'INVALID_SERVER_CONFIG').errors[0].field).toBe('url');
    expect((await gh.api('GET', '/api/servers/leaky')).body.credentials).toBe('shared');
    const userinfo = { ...leaky, name: 'userinfo', url: upstream.baseUrl.replace('http://', 'http://u:p@') + '/mcp', credentials: 'per_user' };
    expect(expectProblem(await gh.api('POST', '/api/servers', userinfo), 400, 'INVALID_SERVER_CONFIG').errors[0].field).toBe('url');
    const flagged = { name: 'flagged', transport: 'stdio', command: process.execPath, args: [fixtureServer('env-server.js'), '--token', 'leaky-arg'], credentials: 'per_user' };
    expect(expectProblem(await gh.api('POST', '/api/servers', flagged), 400, 'INVALID_SERVER_CONFIG').errors[0].field).toBe('args[1]');
    for (const name of ['userinfo', 'flagged']) expect((await gh.api('GET', `/api/servers/${name}`)).status).toBe(404);
    expect((await gh.api('DELETE', '/api/servers/leaky')).status).toBeLessThan(300);
  });

  it('keeps the credentials setting in the server\'s history and export', async () => {
    const history = (await gh.api('GET', '/api/servers/remote/history')).body.events;
    const registered = history.find((event: { type: string }) => event.type === 'ServerRegistered');
    expect((await gh.api('GET', `/api/servers/remote?at=${registered.position}`)).body.credentials).toBe('shared');
    expect((await gh.api('GET', '/api/servers/remote')).body.credentials).toBe('per_user');
    const exported = (await gh.api('GET', '/api/export')).body;
    expect(exported.mcpServers.remote.credentials).toBe('per_user');
    expect(exported.mcpServers.shared.credentials).toBeUndefined();
  });

  it('reaches the upstream with each user\'s own bearer token and env values; others\' servers keep working', async () => {
    for (const name of ['ann', 'bob', 'cat', 'admin']) clients[name] = await connectClient(gh.url, 'team', { key: keys[name] });
    expect(await whoami(clients.ann)).toBe(sha256(SECRETS.annToken));
    expect(await whoami(clients.bob)).toBe(sha256(SECRETS.bobToken));
    const annEnv = await envOf(clients.ann);
    const bobEnv = await envOf(clients.bob);
    expect([annEnv.env.API_TOKEN, annEnv.env.MODE]).toEqual([SECRETS.annEnv, 'plain-mode']);
    expect([bobEnv.env.API_TOKEN, bobEnv.env.MODE]).toEqual([SECRETS.bobEnv, 'plain-mode']);
    // One process per user for the per-user stdio server, one connection per user for the remote one.
    expect(annEnv.pid).not.toBe(bobEnv.pid);
    expect(await connections('remote')).toBe(2);
    expect(await whoami(clients.ann, 0, 'shared')).toBe(sha256(SECRETS.sharedToken));
  });

  it('keeps the server\'s own secret headers and env values off a user\'s connection, and its plain ones on', async () => {
    const plainTenant = sha256('acme');
    // The shared server sends both of its headers: the fixture would show a leaked key.
    expect((await seenBy(clients.ann, 0, 'shared')).headers).toEqual({ 'x-api-key': sha256(SECRETS.sharedHeader), 'x-tenant': plainTenant });
    for (const name of ['ann', 'bob'] as const) {
      expect((await seenBy(clients[name])).headers).toEqual({ 'x-tenant': plainTenant });
      const { env } = await envOf(clients[name]);
      expect(env.MODE).toBe('plain-mode');
      expect(env).not.toHaveProperty('SHARED_KEY');
    }
  });

  it('gives a user without credentials, and a session without a user, a tool error naming the server and what to do', async () => {
    const cats = await call(clients.cat, 'remote__whoami');
    expect(cats.isError).toBe(true);
    expect(cats.content[0].text).toContain('"remote"');
    expect(cats.content[0].text).toContain('PUT /api/servers/remote/credentials');
    const listed = (await clients.cat.listTools()).tools.map((tool) => tool.name);
    expect(listed).toContain('shared__whoami');
    expect(listed).not.toContain('remote__whoami');
    expect(await whoami(clients.cat, 0, 'shared')).toBe(sha256(SECRETS.sharedToken));

    const admins = await call(clients.admin, 'envy__get_env');
    expect(admins.isError).toBe(true);
    expect(admins.content[0].text).toMatch(/"envy".*no user/);
    expect(await connections('remote')).toBe(2);
  });

  it('never hands one user\'s connection to another, even with calls of both in flight at once', async () => {
    const names = Array.from({ length: 24 }, (_, index) => (index % 2 === 0 ? 'ann' : 'bob'));
    const seen = await Promise.all(names.map(async (name, index) => [name, await whoami(clients[name], 20 + (index % 5) * 10)]));
    for (const [name, hash] of seen) expect(hash).toBe(sha256(name === 'ann' ? SECRETS.annToken : SECRETS.bobToken));
    // A second session of ann's shares her connection, never bob's.
    const second = await connectClient(gh.url, 'team', { key: keys.ann });
    clients.ann2 = second;
    expect(await whoami(second)).toBe(sha256(SECRETS.annToken));
    expect(await connections('remote')).toBe(2);
  });

  it('tells a resource update on a user\'s own connection to that user\'s sessions only', async () => {
    const heard: Record<string, string[]> = { ann: [], bob: [] };
    for (const name of ['ann', 'bob'] as const) {
      clients[name].setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => void heard[name].push(notification.params.uri));
      clients[name].setNotificationHandler(ToolListChangedNotificationSchema, () => void heard[name].push('tools/list_changed'));
      await clients[name].subscribeResource({ uri: 'session://counter' });
    }
    await call(clients.ann, 'sess__touch');
    await until(async () => heard.ann.includes('session://counter'), 'ann to hear of her update');
    // A list_changed sent to every session after ann's update: on bob's stream it comes after
    // anything sent to him before, so once he has it, a leaked update would be there too.
    expect((await gh.api('PATCH', '/api/profiles/team', { description: 'marker' })).status).toBe(200);
    await until(async () => heard.bob.includes('tools/list_changed'), 'bob to hear the marker');
    expect(heard.bob).toEqual(['tools/list_changed']);
    await call(clients.bob, 'sess__touch');
    await until(async () => heard.bob.includes('session://counter'), 'bob to hear of his own update');
  });

  it('closes a user\'s connections when they remove their credentials, and all of them when the user is disabled', async () => {
    expect((await people.ann.write('DELETE', '/api/servers/remote/credentials')).status).toBe(204);
    expect(kept(await people.ann.request('GET', '/api/servers/remote/credentials')).body.configured).toBe(false);
    await until(async () => (await connections('remote')) === 1, "ann's connection to close");
    const after = await call(clients.ann, 'remote__whoami');
    expect(after.isError).toBe(true);
    expect(after.content[0].text).toContain('you have none set');
    expect(await whoami(clients.bob)).toBe(sha256(SECRETS.bobToken));

    expect((await gh.api('PATCH', '/api/users/bob', { status: 'disabled' })).status).toBe(200);
    await until(async () => (await connections('remote')) === 0 && (await connections('envy')) === 1, "bob's connections to close");
  });

  it('stores, logs and answers no credential in plaintext', async () => {
    const database = join(gh.dataDir, 'gatehouse.db');
    const stored = [database, `${database}-wal`].filter(existsSync).map((file) => readFileSync(file).toString('latin1')).join('\n');
    const rows = JSON.stringify(gh.sql.all('SELECT * FROM user_credentials')) + JSON.stringify(gh.sql.all('SELECT data FROM events'));
    // The env fixture answered with its environment: what was recorded of it is redacted.
    await until(async () => JSON.stringify((await gh.api('GET', '/api/logs?limit=500')).body).includes('get_env'), 'the debug logs of the calls');
    const logs = logLines.join('\n');
    const api = answers.join('\n') + JSON.stringify((await gh.api('GET', '/api/events?limit=1000')).body) + JSON.stringify((await gh.api('GET', '/api/logs')).body);
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of Object.values(SECRETS)) {
      expect(stored).not.toContain(secret);
      expect(rows).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(api).not.toContain(secret);
    }
    expect(gh.sql.all('SELECT user_id FROM user_credentials')).toHaveLength(5);
  });
});
