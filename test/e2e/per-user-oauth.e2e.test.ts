import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningHttpServer } from '../fixtures/upstream-fixtures';
import { OAuthTokenManager } from '../../src/infrastructure/oauth';
import { allEvents } from '../support/events';
import { startTestGatehouse, type ApiResponse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { authorizeInBrowser } from '../support/oauth-browser';
import { clearOfBackgroundRefresh as untilClear, eventually, getJson, startAuthorizationServer, startProtectedMcpServer, type AuthServerStats, type UpstreamSeen } from '../support/oauth-fixtures';
import { expectProblem } from '../support/problem';
import { SessionClient, signedInMemberWithKey } from '../support/session-client';
import { storageOf } from '../../src/infrastructure/application-storage';

jest.setTimeout(120_000);

/** Short enough to see the grants expire and be refreshed within the test. */
const ACCESS_TOKEN_TTL_SECONDS = 6;
const PASSWORD = 'a long enough password 42';
/** Who each Gatehouse user signs in as at the upstream's authorization server. */
const UPSTREAM_ACCOUNT = { ann: 'ann-at-upstream', bob: 'bob-at-upstream' } as const;

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };
type Who = { sub: string; clientId: string; scopes: string[] };

describe('per-user OAuth grants: each user authorizes a per_user server as themselves', () => {
  let as: RunningHttpServer;
  let upstream: RunningHttpServer;
  let gh: TestGatehouse;
  const logLines: string[] = [];
  const people: Record<'ann' | 'bob' | 'cat', SessionClient> = {} as never;
  const clients: Record<string, Client> = {};
  let bobPat: string;
  let serverId: string;

  const stats = () => getJson<AuthServerStats>(`${as.baseUrl}/__test/stats`);
  const seen = () => getJson<UpstreamSeen>(`${upstream.baseUrl}/__test/seen`);
  const asBob = (method: string, path: string, body?: unknown) => gh.api(method, path, body, { authorization: `Bearer ${bobPat}` });
  const call = async (client: Client, name = 'protected__whoami'): Promise<ToolResult> => (await client.callTool({ name, arguments: {} })) as ToolResult;
  const whoami = async (client: Client): Promise<Who> => {
    const result = await call(client);
    expect(result.isError ? result.content[0].text : 'ok').toBe('ok');
    return JSON.parse(result.content[0].text) as Who;
  };
  const userIdsByName = async (): Promise<Record<string, string>> =>
    Object.fromEntries(((await gh.api('GET', '/api/users')).body.users as { id: string; name: string }[]).map((user) => [user.name, user.id]));
  const grantEvents = async () => (await allEvents(gh, '&type=UserOAuthTokensGranted')).length;
  /** Starts an authorization and completes it at the authorization server as `account`: it then awaits confirmation. */
  const consentAs = async (start: () => Promise<ApiResponse>, account: string) => {
    const started = await start();
    expect(started.status === 200 ? 200 : started.body).toBe(200);
    const outcome = await authorizeInBrowser(started.body.authorizationUrl, { account });
    expect(outcome).toMatchObject({ status: 200, body: { status: 'confirmation_required', serverId, confirm: expect.any(String) } });
    return { started: started.body, outcome, confirm: (outcome.body as { confirm: string }).confirm };
  };
  /** Confirms in `browser` (signed in as someone, or as nobody) what came back to the callback. */
  const confirmIn = (browser: SessionClient, confirm: string) => browser.request('POST', '/oauth/callback/confirm', { confirm });
  /**
   * Waits (a bounded number of times) until none of these people's grants is due for its
   * background refresh (a third of the token's 6 s life left) within `marginMs`, letting the ones
   * due sooner pass, so what a test does meanwhile is not mixed with a background refresh.
   */
  const clearOfBackgroundRefresh = async (persons: readonly SessionClient[], marginMs: number): Promise<void> => {
    const expiries = () => Promise.all(persons.map(async (person) => ((await person.request('GET', '/api/servers/protected/credentials')).body.oauth as { expiresAt: string }).expiresAt));
    await untilClear(expiries, (ACCESS_TOKEN_TTL_SECONDS * 1000) / 3, marginMs);
  };
  /** A person starts their own authorization, consents as `account`, and confirms it signed in. */
  const authorizeAs = async (start: () => Promise<ApiResponse>, account: string, person: SessionClient) => {
    const consented = await consentAs(start, account);
    const confirmed = await confirmIn(person, consented.confirm);
    expect(confirmed).toMatchObject({ status: 200, body: { status: 'authorized', serverId, userId: expect.any(String) } });
    return consented;
  };

  beforeAll(async () => {
    as = await startAuthorizationServer(ACCESS_TOKEN_TTL_SECONDS);
    upstream = await startProtectedMcpServer(as.baseUrl);
    gh = await startTestGatehouse({ GATEHOUSE_LOG_LEVEL: 'debug' }, { write: (line) => void logLines.push(line) });
    const created = await gh.api('POST', '/api/servers', { name: 'protected', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp`, credentials: 'per_user' });
    expect(created.status).toBe(201);
    serverId = created.body.id;
    // The same upstream again, shared with nobody: members may not authorize it.
    const hidden = { name: 'hidden', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp`, credentials: 'per_user' };
    expect((await gh.api('POST', '/api/servers', hidden)).status).toBe(201);
    expect((await gh.api('POST', '/api/servers', { name: 'plain', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp` })).status).toBe(201);
    expect((await gh.api('POST', '/api/profiles', { slug: 'team' })).status).toBe(201);
    const shared = { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] };
    expect((await gh.api('PUT', '/api/profiles/team/servers/protected', { status: 'active' })).status).toBeLessThan(300);
    for (const server of ['protected', 'plain']) expect((await gh.api('PUT', `/api/servers/${server}/access`, shared)).status).toBe(200);
    expect((await gh.api('PUT', '/api/profiles/team/access', shared)).status).toBe(200);
    for (const name of ['ann', 'bob', 'cat'] as const) {
      const member = await signedInMemberWithKey(gh, name, PASSWORD, ['team']);
      people[name] = member.person;
      clients[name] = await connectClient(gh.url, 'team', { key: member.key });
    }
    bobPat = (await people.bob.write('POST', '/api/me/tokens', { name: 'bob script' })).body.token;
  });

  afterAll(async () => {
    await Promise.allSettled(Object.values(clients).map((client) => client.close()));
    await gh?.stop();
    await upstream?.stop();
    await as?.stop();
  });

  it('tells a user without a grant to authorize their own access; the server has no grant of its own to start', async () => {
    const refused = await call(clients.ann);
    expect(refused.isError).toBe(true);
    expect(refused.content[0].text).toContain('"protected"');
    expect(refused.content[0].text).toContain('POST /api/servers/protected/credentials/oauth/authorize');
    const admins = expectProblem(await gh.api('POST', '/api/servers/protected/oauth/authorize', {}), 409, 'OAUTH_UNSUPPORTED');
    expect(admins.detail).toContain('POST /api/servers/protected/credentials/oauth/authorize');
  });

  it('lets each user authorize as themselves (signed in, or with a personal access token), with one client registration', async () => {
    const ann = await authorizeAs(() => people.ann.write('POST', '/api/servers/protected/credentials/oauth/authorize', {}), UPSTREAM_ACCOUNT.ann, people.ann);
    const url = new URL(ann.started.authorizationUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ code_challenge_method: 'S256', resource: `${upstream.baseUrl}/mcp`, redirect_uri: `${gh.url}/oauth/callback` });
    // Started with a personal access token; confirmed in a browser where bob is signed in.
    const bob = await authorizeAs(() => asBob('POST', '/api/servers/protected/credentials/oauth/authorize', {}), UPSTREAM_ACCOUNT.bob, people.bob);
    expect(bob.started.clientId).toBe(ann.started.clientId);
    expect(await stats()).toMatchObject({ registrations: 1, codeGrants: 2 });

    const annView = (await people.ann.request('GET', '/api/servers/protected/credentials')).body;
    expect(annView).toMatchObject({ configured: true, bearerToken: false, env: [], oauth: { scopes: ['mcp:tools'], refreshable: true, refreshedAt: null } });
    expect(Date.parse(annView.oauth.expiresAt)).toBeGreaterThan(Date.now());
    expect((await people.cat.request('GET', '/api/servers/protected/credentials')).body).toMatchObject({ configured: false, oauth: null });
    // The server itself holds no grant: its admin status says nothing is authorized.
    expect((await gh.api('GET', '/api/servers/protected/oauth')).body).toMatchObject({ status: 'not_authorized', grantedAt: null });
    const events = await allEvents(gh, '&type=UserOAuthTokensGranted');
    expect(events.map((event) => event.metadata.actor)).toEqual([expect.stringMatching(/^user:ann\//), expect.stringMatching(/^user:bob\//)]);
  });

  it('reaches the upstream as each user\'s own identity, and a user without a grant still gets none', async () => {
    await eventually(async () => (await clients.ann.listTools()).tools.map((tool) => tool.name), (names) => names.includes('protected__whoami'));
    const [ann, bob] = await Promise.all([whoami(clients.ann), whoami(clients.bob)]);
    expect(ann).toMatchObject({ sub: UPSTREAM_ACCOUNT.ann, scopes: ['mcp:tools'] });
    expect(bob).toMatchObject({ sub: UPSTREAM_ACCOUNT.bob, clientId: ann.clientId });
    const cats = await call(clients.cat);
    expect(cats.isError).toBe(true);
    expect(cats.content[0].text).toContain('you have none set');
    // Calls of both at once each go as their own.
    const mixed = await Promise.all([1, 2, 3, 4, 5, 6].map(async (n) => [n % 2, (await whoami(n % 2 === 0 ? clients.ann : clients.bob)).sub]));
    for (const [parity, sub] of mixed) expect(sub).toBe(parity === 0 ? UPSTREAM_ACCOUNT.ann : UPSTREAM_ACCOUNT.bob);
  });

  it('never hands a user\'s grant to another user, to a per-user connection without a user, or to the server\'s shared connections', async () => {
    const server = { id: serverId, name: 'protected', url: `${upstream.baseUrl}/mcp` };
    const tokens = new OAuthTokenManager({ store: storageOf(gh.app).store, secrets: gh.app.secrets, reads: storageOf(gh.app).database.reads });
    const userIds = await userIdsByName();
    // The refresh counts and bob's unchanged grant below hold only if the gateway's background
    // refresher does not renew either grant meanwhile.
    await clearOfBackgroundRefresh([people.ann, people.bob], 2_500);
    const annToken = await tokens.accessToken({ ...server, credentials: 'per_user', userId: userIds.ann });
    const bobToken = await tokens.accessToken({ ...server, credentials: 'per_user', userId: userIds.bob });
    expect(annToken).toEqual(expect.any(String));
    expect(bobToken).toEqual(expect.any(String));
    expect(annToken).not.toBe(bobToken);
    expect(await tokens.accessToken({ ...server, credentials: 'per_user', userId: userIds.cat })).toBeNull();
    expect(await tokens.accessToken({ ...server, credentials: 'per_user' })).toBeNull();
    expect(await tokens.accessToken({ ...server, credentials: 'shared' })).toBeNull();
    // A 401 on one user's connection refreshes that user's grant only: bob's tokens stay as they were.
    const bobsGrant = (await asBob('GET', '/api/servers/protected/credentials')).body.oauth;
    const { refreshGrants } = await stats();
    const annRefreshed = await tokens.unauthorized({ ...server, credentials: 'per_user', userId: userIds.ann }, annToken, null);
    expect(annRefreshed).toEqual(expect.any(String));
    expect(annRefreshed).not.toBe(annToken);
    expect((await stats()).refreshGrants).toBe(refreshGrants + 1);
    expect(await tokens.accessToken({ ...server, credentials: 'per_user', userId: userIds.bob })).toBe(bobToken);
    expect((await asBob('GET', '/api/servers/protected/credentials')).body.oauth).toEqual(bobsGrant);
  });

  it('refreshes each user\'s grant before it expires, and calls go on as the same users after the first tokens expired', async () => {
    const before = (await people.ann.request('GET', '/api/servers/protected/credentials')).body.oauth;
    const { refreshGrants } = await stats();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(before.expiresAt) + 500 - Date.now())));
    const after = (await people.ann.request('GET', '/api/servers/protected/credentials')).body.oauth;
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.parse(before.expiresAt));
    expect(after.refreshedAt).not.toBeNull();
    expect((await stats()).refreshGrants).toBeGreaterThanOrEqual(refreshGrants + 2);
    expect((await whoami(clients.ann)).sub).toBe(UPSTREAM_ACCOUNT.ann);
    expect((await whoami(clients.bob)).sub).toBe(UPSTREAM_ACCOUNT.bob);
    const refreshed = await allEvents(gh, '&type=UserOAuthTokensRefreshed');
    expect(new Set(refreshed.map((event) => event.data.userId)).size).toBe(2);
    expect(refreshed.every((event) => event.metadata.actor === 'system:oauth')).toBe(true);
  });

  it('refreshes on a 401 the user\'s own grant, and only once for calls refused together', async () => {
    const userIds = await userIdsByName();
    const refreshed = () => allEvents(gh, '&type=UserOAuthTokensRefreshed');
    // Ann's count is exact: the steps below start at least 3 s before her next background refresh.
    await clearOfBackgroundRefresh([people.ann], 3_000);
    const before = (await refreshed()).length;
    // Both users' current tokens are used once, so the upstream refuses them from now on. Bob's
    // may still be refreshed in the background meanwhile (a token it has not seen: no 401 then).
    await Promise.all([whoami(clients.ann), whoami(clients.bob)]);
    await getJson(`${upstream.baseUrl}/__test/reject-current`, 'POST');
    const results = await Promise.all([1, 2, 3].map(() => whoami(clients.ann)));
    expect(results.map((who) => who.sub)).toEqual([UPSTREAM_ACCOUNT.ann, UPSTREAM_ACCOUNT.ann, UPSTREAM_ACCOUNT.ann]);
    expect((await whoami(clients.bob)).sub).toBe(UPSTREAM_ACCOUNT.bob);
    const since = (await refreshed()).slice(before);
    const refreshesOf = (name: string) => since.filter((event) => event.data.userId === userIds[name]).length;
    expect(refreshesOf('ann')).toBe(1);
    expect(refreshesOf('bob')).toBeGreaterThanOrEqual(1);
    expect(refreshesOf('bob')).toBeLessThanOrEqual(2);
  });

  it('shows a user their failed background refresh (when, and a safe reason) until a refresh works again', async () => {
    const view = async () => (await people.ann.request('GET', '/api/servers/protected/credentials')).body;
    expect((await view()).lastRefreshError).toBeNull();
    const outageFrom = Date.now();
    // The token endpoint answers 503, its body echoing the refresh token it was sent.
    await getJson(`${as.baseUrl}/__test/token-outage?on=1`, 'POST');
    try {
      // The background refresh (a third of the token's life before expiry) fails and keeps the tokens.
      const failed = await eventually(view, (body) => body.lastRefreshError !== null, 15_000);
      expect(failed.lastRefreshError).toEqual({ at: expect.any(String), message: expect.stringContaining('answered HTTP 503') });
      expect(Date.parse(failed.lastRefreshError.at)).toBeGreaterThanOrEqual(outageFrom - 1_000);
      expect(failed.oauth).toMatchObject({ grantedAt: expect.any(String) });
      expect(JSON.stringify(failed)).not.toMatch(/echoed|refresh_token=/);
    } finally {
      await getJson(`${as.baseUrl}/__test/token-outage?on=0`, 'POST');
    }
    // The next refresh (on use: the token is due) works and clears it.
    expect((await whoami(clients.ann)).sub).toBe(UPSTREAM_ACCOUNT.ann);
    const healed = await view();
    expect(healed.lastRefreshError).toBeNull();
    expect(Date.parse(healed.oauth.refreshedAt)).toBeGreaterThan(outageFrom);
  });

  it('refuses what cannot start or finish a grant of one\'s own with a clear 4xx, and stores nothing', async () => {
    const granted = await grantEvents();
    const { codeGrants } = await stats();
    // A server the member may not see is "not found", whatever it is.
    expectProblem(await people.cat.write('POST', '/api/servers/hidden/credentials/oauth/authorize', {}), 404, 'SERVER_NOT_FOUND');
    expectProblem(await people.cat.write('POST', '/api/servers/nope/credentials/oauth/authorize', {}), 404, 'SERVER_NOT_FOUND');
    expectProblem(await people.cat.write('POST', '/api/servers/plain/credentials/oauth/authorize', {}), 409, 'CREDENTIALS_NOT_PER_USER');
    expectProblem(await gh.api('POST', '/api/servers/protected/credentials/oauth/authorize', {}), 409, 'NOT_A_USER');
    // The client is the server's, an admin's concern: a user cannot bring one.
    expectProblem(await people.cat.write('POST', '/api/servers/protected/credentials/oauth/authorize', { clientId: 'mine' }), 400, 'VALIDATION_FAILED');
    expectProblem(await people.cat.write('POST', '/api/servers/protected/credentials/oauth/authorize', { scopes: ['a b'] }), 400, 'VALIDATION_FAILED');
    // Without the CSRF token a cookie write is refused.
    expectProblem(await people.cat.request('POST', '/api/servers/protected/credentials/oauth/authorize', {}), 403, 'CSRF_TOKEN_INVALID');

    const wrong = await fetch(`${gh.url}/oauth/callback?state=not-a-state&code=x`, { headers: { accept: 'application/json' } });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ code: 'OAUTH_STATE_INVALID' });
    // A state of cat's flow, answered with a code that is no code: the exchange on confirmation is
    // refused, and the state and the confirmation are spent, so replays are refused too.
    const started = await people.cat.write('POST', '/api/servers/protected/credentials/oauth/authorize', {});
    expect(started.status).toBe(200);
    const state = new URL(started.body.authorizationUrl).searchParams.get('state');
    // As a browser gets it: a page whose form posts the confirmation from Gatehouse's own origin.
    const forged = await fetch(`${gh.url}/oauth/callback?state=${state}&code=forged`, { headers: { accept: 'text/html' } });
    const form = await forged.text();
    expect(form).toContain('<form method="post" action="/oauth/callback/confirm">');
    const confirm = /name="confirm" value="([A-Za-z0-9_-]{43})"/.exec(form)?.[1] ?? '';
    const submitted = await people.cat.request('POST', '/oauth/callback/confirm', `confirm=${confirm}`, { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
    expectProblem(submitted, 400, 'OAUTH_AUTHORIZATION_DENIED');
    expectProblem(await confirmIn(people.cat, confirm), 400, 'OAUTH_STATE_INVALID');
    const replayed = await fetch(`${gh.url}/oauth/callback?state=${state}&code=forged`, { headers: { accept: 'application/json' } });
    expect(await replayed.json()).toMatchObject({ status: 400, code: 'OAUTH_STATE_INVALID' });
    // A completed callback, and a confirmed confirmation, replayed store nothing more.
    const again = await authorizeAs(() => people.ann.write('POST', '/api/servers/protected/credentials/oauth/authorize', {}), UPSTREAM_ACCOUNT.ann, people.ann);
    const replayedGrant = await fetch(again.outcome.callbackUrl, { headers: { accept: 'application/json' } });
    expect(await replayedGrant.json()).toMatchObject({ status: 400, code: 'OAUTH_STATE_INVALID' });
    expectProblem(await confirmIn(people.ann, again.confirm), 400, 'OAUTH_STATE_INVALID');

    // cat gets someone to open her authorization URL and consent as ann at the upstream: kept
    // only if cat confirms it in a browser signed in as cat. Not signed in: 401 (still pending);
    // signed in as ann: 403, and it is dropped, so cat cannot confirm it afterwards either.
    const lured = await consentAs(() => people.cat.write('POST', '/api/servers/protected/credentials/oauth/authorize', {}), UPSTREAM_ACCOUNT.ann);
    const asBrowser = (browser: SessionClient, confirm: string) =>
      browser.request('POST', '/oauth/callback/confirm', `confirm=${confirm}`, { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' });
    const signInPage = await asBrowser(new SessionClient(gh.url), lured.confirm);
    expect({ status: signInPage.status, type: signInPage.headers.get('content-type') }).toEqual({ status: 401, type: expect.stringContaining('text/html') });
    expect(signInPage.body).toContain('href="/login"');
    expect(signInPage.body).toContain(`name="confirm" value="${lured.confirm}"`);
    expectProblem(await confirmIn(new SessionClient(gh.url), lured.confirm), 401, 'OAUTH_SIGN_IN_REQUIRED');
    const wrongUserPage = await asBrowser(people.ann, lured.confirm);
    expect({ status: wrongUserPage.status, type: wrongUserPage.headers.get('content-type') }).toEqual({ status: 403, type: expect.stringContaining('text/html') });
    expect(wrongUserPage.body).toContain('dropped');
    expectProblem(await confirmIn(people.cat, lured.confirm), 400, 'OAUTH_STATE_INVALID');
    expectProblem(await confirmIn(people.cat, 'not-a-confirmation'), 400, 'OAUTH_STATE_INVALID');
    const malformed = await fetch(`${gh.url}/oauth/callback/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"confirm":' });
    expect(malformed.status).toBe(400);

    // Access is checked again on confirmation: cat may no longer use the server, so nothing is exchanged.
    const unshared = await consentAs(() => people.cat.write('POST', '/api/servers/protected/credentials/oauth/authorize', {}), 'cat-at-upstream');
    const users = (await gh.api('GET', '/api/users')).body.users as { id: string; name: string }[];
    const onlyAnnAndBob = { owner: null, visibility: 'shared', sharedWithUsers: users.filter((u) => u.name !== 'cat').map((u) => u.id), sharedWithRoles: [] };
    expect((await gh.api('PUT', '/api/servers/protected/access', onlyAnnAndBob)).status).toBe(200);
    expectProblem(await confirmIn(people.cat, unshared.confirm), 404, 'SERVER_NOT_FOUND');
    const shared = { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] };
    expect((await gh.api('PUT', '/api/servers/protected/access', shared)).status).toBe(200);
    expectProblem(await confirmIn(people.cat, unshared.confirm), 400, 'OAUTH_STATE_INVALID');

    expect(await grantEvents()).toBe(granted + 1);
    expect((await stats()).codeGrants).toBe(codeGrants + 1);
    expect((await people.cat.request('GET', '/api/servers/protected/credentials')).body).toMatchObject({ configured: false, oauth: null });
  });

  it('revokes a user\'s grant at the authorization server when they remove their credentials; the other user keeps theirs', async () => {
    const { revocations } = await stats();
    expect((await people.ann.write('DELETE', '/api/servers/protected/credentials')).status).toBe(204);
    expect((await stats()).revocations).toBe(revocations + 2);
    expect((await people.ann.request('GET', '/api/servers/protected/credentials')).body).toMatchObject({ configured: false, oauth: null });
    const after = await eventually(() => call(clients.ann), (result) => result.isError === true);
    expect(after.content[0].text).toContain('you have none set');
    expect((await whoami(clients.bob)).sub).toBe(UPSTREAM_ACCOUNT.bob);
    expect(gh.sql.all('SELECT user_id FROM user_credentials')).toHaveLength(1);
  });

  it('drops a user\'s grant whose refresh the authorization server refuses, and registers anew when the client is refused', async () => {
    const { registrations } = await stats();
    // The authorization server forgets every client and grant: bob's next refresh is invalid_client.
    await getJson(`${as.baseUrl}/__test/forget`, 'POST');
    await getJson(`${upstream.baseUrl}/__test/reject-current`, 'POST');
    const refused = await call(clients.bob);
    expect(refused.isError).toBe(true);
    const dropped = await eventually(async () => (await people.bob.request('GET', '/api/servers/protected/credentials')).body, (view) => view.configured === false);
    // Bob sees why his grant went, until he authorizes again.
    expect(dropped.lastRefreshError).toEqual({ at: expect.any(String), message: expect.stringContaining('refused the refresh (invalid_client') });
    const revoked = await allEvents(gh, '&type=UserOAuthTokensRevoked');
    expect(revoked.at(-1)?.data).toMatchObject({ reason: 'refresh_failed', detail: expect.stringContaining('invalid_client') });
    expect((await gh.api('GET', '/api/servers/protected/oauth')).body.client).toMatchObject({ stale: true });
    const again = await authorizeAs(() => people.bob.write('POST', '/api/servers/protected/credentials/oauth/authorize', {}), UPSTREAM_ACCOUNT.bob, people.bob);
    expect(again.started).toMatchObject({ registration: 'dynamic' });
    expect((await stats()).registrations).toBe(registrations + 1);
    expect((await people.bob.request('GET', '/api/servers/protected/credentials')).body.lastRefreshError).toBeNull();
    // The new grant replaced bob's connection the moment it was committed: the next call goes as bob.
    expect((await whoami(clients.bob)).sub).toBe(UPSTREAM_ACCOUNT.bob);
  });

  it('lets an admin give a per-user server a client registered by hand, which its users then authorize with', async () => {
    // As an admin would at an authorization server without dynamic registration: by hand, out of band.
    const metadata = await getJson<{ registration_endpoint: string }>(`${as.baseUrl}/.well-known/oauth-authorization-server`);
    const byHand = await fetch(metadata.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'by hand', redirect_uris: [`${gh.url}/oauth/callback`], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_basic' }),
    });
    const { client_id: clientId, client_secret: clientSecret } = (await byHand.json()) as { client_id: string; client_secret: string };
    const { registrations } = await stats();
    expectProblem(await people.ann.write('PUT', '/api/servers/protected/oauth/client', { clientId }), 403, 'FORBIDDEN');
    expectProblem(await gh.api('PUT', '/api/servers/protected/oauth/client', { clientSecret }), 400, 'VALIDATION_FAILED');
    const put = await gh.api('PUT', '/api/servers/protected/oauth/client', { clientId, clientSecret });
    expect(put.body).toEqual({ serverId, issuer: as.baseUrl, clientId, registration: 'preregistered', tokenEndpointAuthMethod: 'client_secret_basic' });
    expect(JSON.stringify(put.body) + JSON.stringify((await gh.api('GET', '/api/servers/protected/oauth')).body)).not.toContain(clientSecret);

    const ann = await authorizeAs(() => people.ann.write('POST', '/api/servers/protected/credentials/oauth/authorize', {}), UPSTREAM_ACCOUNT.ann, people.ann);
    expect(ann.started).toMatchObject({ clientId, registration: 'preregistered' });
    expect((await stats()).registrations).toBe(registrations);
    expect(await whoami(clients.ann)).toMatchObject({ sub: UPSTREAM_ACCOUNT.ann, clientId });
  });

  it('keeps refreshing only the grants in use: not a disabled user\'s, nor any once the server is shared again', async () => {
    const userIds = await userIdsByName();
    // Counted by when each refresh began (its events' recordedAt is read before it asks the
    // authorization server): one already under way when a change is made may still be recorded.
    const refreshesSince = async (name: string, since: string): Promise<number> =>
      (await allEvents(gh, '&type=UserOAuthTokensRefreshed')).filter((event) => event.data.userId === userIds[name] && event.metadata.recordedAt > since).length;
    const grantOf = async (person: SessionClient) => (await person.request('GET', '/api/servers/protected/credentials')).body.oauth;
    const waitPast = async (expiresAt: string): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(expiresAt) + 1_000 - Date.now())));
    };
    const bobs = await grantOf(people.bob);
    expect(bobs).not.toBeNull();
    expect((await gh.api('PATCH', '/api/users/bob', { status: 'disabled' })).status).toBe(200);
    const bobDisabledAt = new Date().toISOString();
    await waitPast(bobs.expiresAt);
    // The background kept going (ann's grant is refreshed every 4 s), bob's was left alone.
    await eventually(() => refreshesSince('ann', bobDisabledAt), (count) => count > 0);
    expect(await refreshesSince('bob', bobDisabledAt)).toBe(0);

    expect((await gh.api('PATCH', '/api/servers/protected', { credentials: 'shared' })).status).toBe(200);
    const sharedAt = new Date().toISOString();
    await waitPast((await grantOf(people.ann)).expiresAt);
    expect(await refreshesSince('ann', sharedAt)).toBe(0);

    // Back in use: per_user again and bob enabled, both grants are refreshed again.
    const backAt = new Date().toISOString();
    expect((await gh.api('PATCH', '/api/servers/protected', { credentials: 'per_user' })).status).toBe(200);
    expect((await gh.api('PATCH', '/api/users/bob', { status: 'enabled' })).status).toBe(200);
    expect((await people.bob.signIn('bob', PASSWORD)).status).toBe(201);
    await eventually(async () => [await refreshesSince('ann', backAt), await refreshesSince('bob', backAt)], ([ann, bob]) => ann > 0 && bob > 0);
  });

  it('never lets one user\'s refused refresh mark, nor a user\'s authorization replace, a client an admin registered by hand', async () => {
    const { registrations } = await stats();
    const before = (await gh.api('GET', '/api/servers/protected/oauth')).body.client;
    expect(before).toMatchObject({ method: 'preregistered', stale: false });
    // The authorization server forgets every client and grant: ann's next refresh is invalid_client.
    await getJson(`${as.baseUrl}/__test/forget`, 'POST');
    // Its background refresh (at most two thirds of a token's life away) is refused.
    await eventually(async () => (await people.ann.request('GET', '/api/servers/protected/credentials')).body, (view) => view.oauth === null, 15_000);
    expect((await allEvents(gh, '&type=UserOAuthTokensRevoked')).at(-1)?.data).toMatchObject({ reason: 'refresh_failed', detail: expect.stringContaining('invalid_client') });
    expect((await gh.api('GET', '/api/servers/protected/oauth')).body.client).toMatchObject({ clientId: before.clientId, method: 'preregistered', stale: false });
    expect(logLines.join('\n')).toContain('hand-registered OAuth client is kept');
    const restarted = await people.ann.write('POST', '/api/servers/protected/credentials/oauth/authorize', {});
    expect(restarted.body).toMatchObject({ clientId: before.clientId, registration: 'preregistered' });
    expect((await stats()).registrations).toBe(registrations);
  });

  it('stores, logs and answers no token in plaintext', async () => {
    const { refreshTokens, clientSecrets } = await getJson<{ refreshTokens: string[]; clientSecrets: string[] }>(`${as.baseUrl}/__test/secrets`);
    const accessTokens = (await seen()).authorizations.map((value) => value.replace(/^Bearer /i, ''));
    const secrets = [...refreshTokens, ...clientSecrets, ...accessTokens];
    expect(refreshTokens.length).toBeGreaterThanOrEqual(4);
    expect(accessTokens.length).toBeGreaterThanOrEqual(4);
    const database = join(gh.dataDir, 'gatehouse.db');
    const stored = [database, `${database}-wal`].filter(existsSync).map((file) => readFileSync(file).toString('latin1')).join('\n');
    const api = JSON.stringify((await gh.api('GET', '/api/events?limit=1000')).body) + JSON.stringify((await people.bob.request('GET', '/api/servers/protected/credentials')).body);
    const logs = logLines.join('\n');
    for (const secret of secrets) {
      expect(stored).not.toContain(secret);
      expect(api).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
