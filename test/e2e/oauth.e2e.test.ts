import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RunningHttpServer } from '../fixtures/upstream-fixtures';
import { OAuthTokenManager } from '../../src/infrastructure/oauth';
import { allEvents } from '../support/events';
import { findInFiles } from '../support/files';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { authorizeInBrowser } from '../support/oauth-browser';
import {
  clearOfBackgroundRefresh as untilClear, eventually, getJson, startAuthorizationServer, startProtectedMcpServer, type AuthServerStats, type UpstreamSeen,
} from '../support/oauth-fixtures';
import { storageOf } from '../../src/infrastructure/application-storage';

/** Short enough to watch a refresh happen, long enough for a call to use a token once. */
const ACCESS_TOKEN_TTL_SECONDS = 6;

describe('OAuth to an upstream MCP server (oidc-provider, JWT-checking upstream)', () => {
  let as: RunningHttpServer;
  let upstream: RunningHttpServer;
  let gh: TestGatehouse;
  let client: Client;
  let key: string;
  let firstClientId: string;
  const logLines: string[] = [];

  const stats = () => getJson<AuthServerStats>(`${as.baseUrl}/__test/stats`);
  const seen = () => getJson<UpstreamSeen>(`${upstream.baseUrl}/__test/seen`);
  const oauthStatus = async () => (await gh.api('GET', '/api/servers/protected/oauth')).body;
  const callTool = async (name: string, args: Record<string, unknown> = {}) => client.callTool({ name: `protected__${name}`, arguments: args });
  const textOf = (result: Awaited<ReturnType<typeof callTool>>): string =>
    (result.content as { type: string; text: string }[]).map((part) => part.text).join('');
  const toolNames = async () => (await client.listTools()).tools.map((tool) => tool.name);
  /** An echo call's text, or the text of its failure (a tool result or an error). */
  const echoes = (message: string) => async (): Promise<string> => {
    const result = await callTool('echo', { message }).catch((error: Error) => error);
    return result instanceof Error ? result.message : textOf(result);
  };
  /** The gateway refreshes a token in the background when a third of its life is left. */
  const REFRESH_LEAD_MS = (ACCESS_TOKEN_TTL_SECONDS * 1000) / 3;
  /**
   * Waits (bounded) until the next background refresh is at least `marginMs` away, letting one
   * due sooner pass, so that what a test does meanwhile is not mixed with a background refresh
   * (a count off by one, a rotated token the upstream was told to refuse).
   */
  const clearOfBackgroundRefresh = async (marginMs: number): Promise<void> => {
    const expiry = async () => [((await oauthStatus()) as { expiresAt: string | null }).expiresAt];
    if (!(await untilClear(expiry, REFRESH_LEAD_MS, marginMs))) throw new Error(`no ${marginMs} ms clear of a background refresh after 6 waits: the setup, not the test, is off`);
  };

  const authorize = async (body: object = {}) => {
    const started = await gh.api('POST', '/api/servers/protected/oauth/authorize', body);
    expect(started.status === 200 ? 200 : started.body).toBe(200);
    const outcome = await authorizeInBrowser(started.body.authorizationUrl);
    expect(outcome).toMatchObject({ status: 200, body: { status: 'authorized' } });
    return started.body;
  };

  beforeAll(async () => {
    as = await startAuthorizationServer(ACCESS_TOKEN_TTL_SECONDS);
    upstream = await startProtectedMcpServer(as.baseUrl);
    gh = await startTestGatehouse({ GATEHOUSE_LOG_LEVEL: 'debug' }, { write: (line) => void logLines.push(line) });
    await gh.api('POST', '/api/servers', { name: 'protected', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp` });
    await gh.api('POST', '/api/profiles', { slug: 'dev' });
    await gh.api('PUT', '/api/profiles/dev/servers/protected', { status: 'active' });
    key = (await gh.api('POST', '/api/keys', { name: 'test', profiles: ['dev'] })).body.key;
    client = await connectClient(gh.url, 'dev', { key });
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await gh?.stop();
    await upstream?.stop();
    await as?.stop();
  });

  it('marks the server auth_required after the upstream answers 401', async () => {
    expect(await toolNames()).not.toContain('protected__whoami');
    const server = await eventually(async () => (await gh.api('GET', '/api/servers/protected')).body, (body) => body.oauth?.status === 'auth_required');
    expect(server.oauth.reason).toContain('401');
    // A call meanwhile is a tool error the model can read: which server, why, and where to authorize.
    const refused = await callTool('whoami');
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/its server "protected" is unavailable: authorization required \(it answered 401\).*POST \/api\/servers\/protected\/oauth\/authorize/);
  });

  it('authorizes with dynamic registration, PKCE S256 and the resource indicator', async () => {
    const started = await gh.api('POST', '/api/servers/protected/oauth/authorize', {});
    expect(started.status === 200 ? 200 : started.body).toBe(200);
    const url = new URL(started.body.authorizationUrl);
    expect(url.origin).toBe(as.baseUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      code_challenge_method: 'S256',
      resource: `${upstream.baseUrl}/mcp`,
      scope: 'mcp:tools',
      redirect_uri: `${gh.url}/oauth/callback`,
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(started.body).toMatchObject({ registration: 'dynamic', issuer: as.baseUrl });
    firstClientId = started.body.clientId;

    const outcome = await authorizeInBrowser(started.body.authorizationUrl);
    expect(outcome).toMatchObject({ status: 200, body: { status: 'authorized', scopes: ['mcp:tools'] } });
    const status = await oauthStatus();
    expect(status).toMatchObject({ status: 'authorized', scopes: ['mcp:tools'], client: { clientId: firstClientId, method: 'dynamic' } });
    expect(Date.parse(status.expiresAt)).toBeGreaterThan(Date.now());
    expect(JSON.stringify(status)).not.toMatch(/token"\s*:/i);
    expect(await stats()).toMatchObject({ registrations: 1, codeGrants: 1 });
  });

  it('refuses to reuse a callback state', async () => {
    const started = await gh.api('POST', '/api/servers/protected/oauth/authorize', {});
    const state = new URL(started.body.authorizationUrl).searchParams.get('state');
    const first = await fetch(`${gh.url}/oauth/callback?state=${state}&error=access_denied`);
    expect(first.status).toBe(400);
    const again = await fetch(`${gh.url}/oauth/callback?state=${state}&code=x`);
    expect(await again.json()).toMatchObject({ status: 400, code: 'OAUTH_STATE_INVALID' });
  });

  it('calls a tool through the gateway with the token, and never passes the client key upstream', async () => {
    await eventually(toolNames, (names) => names.includes('protected__whoami'));
    expect(JSON.parse(textOf(await callTool('whoami')))).toMatchObject({ sub: 'alice', clientId: firstClientId, scopes: ['mcp:tools'] });
    const { authorizations } = await seen();
    expect(authorizations.some((value) => value.includes(key))).toBe(false);
  });

  it('refreshes the token in the background before it expires, without any call', async () => {
    // The token and the count read while no refresh lands between them.
    await clearOfBackgroundRefresh(1_000);
    const before = await oauthStatus();
    const { refreshGrants } = await stats();
    // Due when a third of its life is left; waited for (bounded) rather than read once at a set
    // moment, which a stalled test process (2 cores, parallel suites) would read too early.
    const after = await eventually(oauthStatus, (status) => Date.parse(status.expiresAt) > Date.parse(before.expiresAt), 15_000);
    // Started by the background timer at its point (not by a call), before the old token expired.
    expect(Date.parse(after.refreshedAt)).toBeGreaterThanOrEqual(Date.parse(before.expiresAt) - REFRESH_LEAD_MS - 50);
    expect(Date.parse(after.refreshedAt)).toBeLessThan(Date.parse(before.expiresAt));
    expect(await stats()).toMatchObject({ refreshGrants: refreshGrants + 1 });
    const { unauthorized } = await seen();
    expect(textOf(await callTool('echo', { message: 'fresh' }))).toBe('fresh');
    expect((await seen()).unauthorized).toBe(unauthorized);
  });

  it('refreshes on use when the token is due (what `gatehouse stdio` relies on)', async () => {
    await clearOfBackgroundRefresh(3_000);
    const before = await oauthStatus();
    const { refreshGrants } = await stats();
    const server = (await gh.api('GET', '/api/servers/protected')).body as { id: string; name: string; url: string };
    // Another token source over the same database, whose clock says the token is due now.
    const onUse = new OAuthTokenManager({ store: storageOf(gh.app).store, secrets: gh.app.secrets, reads: storageOf(gh.app).database.reads }, { now: () => new Date(Date.parse(before.expiresAt) - 1_000) });
    const token = await onUse.accessToken(server);
    expect(token).toEqual(expect.any(String));
    expect(await stats()).toMatchObject({ refreshGrants: refreshGrants + 1 });
    const after = await oauthStatus();
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.parse(before.expiresAt));
    // The gateway picks the new token up at its next call.
    expect(textOf(await callTool('echo', { message: 'after on-use refresh' }))).toBe('after on-use refresh');
  });

  it('refreshes once on a 401, however many calls are refused at the same time', async () => {
    await clearOfBackgroundRefresh(3_000);
    const { refreshGrants } = await stats();
    await getJson(`${upstream.baseUrl}/__test/reject-current`, 'POST');
    const { unauthorized } = await seen();
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => callTool('echo', { message: `call ${n}` })));
    expect(results.map(textOf)).toEqual(['call 1', 'call 2', 'call 3', 'call 4', 'call 5']);
    expect((await seen()).unauthorized).toBeGreaterThan(unauthorized);
    expect(await stats()).toMatchObject({ refreshGrants: refreshGrants + 1 });
    const events = await allEvents(gh, '&type=OAuthTokensRefreshed');
    // Background, on use, and this one (the background may have refreshed once more since).
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.every((event) => event.metadata.actor === 'system:oauth')).toBe(true);
  });

  it('revokes at the authorization server and forgets the tokens', async () => {
    const { revocations } = await stats();
    const { id: serverId } = (await gh.api('GET', '/api/servers/protected')).body as { id: string };
    expect(gh.gateway.pool.health(serverId)).not.toEqual([]);
    expect((await gh.api('DELETE', '/api/servers/protected/oauth')).status).toBe(204);
    // The connections made with the revoked tokens are let go of when the revocation commits, not
    // a batch later (when they may already carry a call made with tokens granted again).
    expect(gh.gateway.pool.health(serverId)).toEqual([]);
    expect((await stats()).revocations).toBe(revocations + 2);
    expect(await oauthStatus()).toMatchObject({ status: 'not_authorized', reason: 'revoked at the authorization server', expiresAt: null });
    // Without a token the upstream answers 401, which makes the server auth_required again. A call
    // may also fail on the connection being dropped for the revocation, so calls go on until then.
    const afterRevoke = async () => {
      const result = await callTool('echo', { message: 'after revoke' }).catch((error: Error) => error);
      expect(result instanceof Error ? result.message : JSON.stringify(result)).not.toContain('"after revoke"');
      return oauthStatus();
    };
    await eventually(afterRevoke, (status) => status.status === 'auth_required');
  });

  it('authorizes again with the stored registration', async () => {
    const { id: serverId } = (await gh.api('GET', '/api/servers/protected')).body as { id: string };
    const started = await authorize();
    // The connection the 401s after the revocation put in a backoff tries again as the grant
    // commits: none is left waiting for a retry that the new tokens made pointless.
    expect(gh.gateway.pool.health(serverId).filter((health) => health.nextAttemptAt !== null)).toEqual([]);
    expect(started).toMatchObject({ clientId: firstClientId, registration: 'dynamic' });
    expect((await stats()).registrations).toBe(1);
    await eventually(toolNames, (names) => names.includes('protected__whoami'));
    // Under load this first call once failed ("connection closed during tools/call"): the
    // previous test's revocation let go of the server's connections a config batch later, by
    // when this test had connected again with the new grant. It now does so as it commits.
    expect(await echoes('back')()).toBe('back');
  });

  it('becomes auth_required with the reason when the refresh is refused, and registers anew', async () => {
    await clearOfBackgroundRefresh(3_000);
    await getJson(`${as.baseUrl}/__test/forget`, 'POST');
    await getJson(`${upstream.baseUrl}/__test/reject-current`, 'POST');
    const failed = await callTool('echo', { message: 'refused' }).catch((error: Error) => error);
    expect(failed instanceof Error || (failed as { isError?: boolean }).isError).toBeTruthy();
    // The call whose 401 asked for the refresh says what to do, not that its connection closed under it.
    expect(failed instanceof Error ? failed.message : textOf(failed)).toContain('authorization required');
    const status = await oauthStatus();
    expect(status).toMatchObject({ status: 'auth_required', client: { stale: true } });
    expect(status.reason).toContain('invalid_client');
    expect((await gh.api('GET', '/api/servers/protected')).body.oauth).toMatchObject({ status: 'auth_required', reason: status.reason });

    const started = await authorize();
    expect(started.clientId).not.toBe(firstClientId);
    expect((await stats()).registrations).toBe(2);
    await eventually(toolNames, (names) => names.includes('protected__whoami'));
    expect(await echoes('again')()).toBe('again');
  });

  it('answers a denied consent with a problem and changes nothing', async () => {
    await clearOfBackgroundRefresh(3_000);
    const before = await oauthStatus();
    const started = await gh.api('POST', '/api/servers/protected/oauth/authorize', {});
    const outcome = await authorizeInBrowser(started.body.authorizationUrl, { deny: true });
    expect(outcome).toMatchObject({ status: 400, body: { code: 'OAUTH_AUTHORIZATION_DENIED' } });
    expect(await oauthStatus()).toMatchObject({ status: 'authorized', version: before.version, pendingAuthorization: false });
  });

  it('uses a client the admin registered at the authorization server by hand', async () => {
    const registration = await fetch(`${as.baseUrl}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [`${gh.url}/oauth/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_post',
      }),
    });
    const { client_id: clientId, client_secret: clientSecret } = (await registration.json()) as { client_id: string; client_secret: string };
    const started = await authorize({ clientId, clientSecret });
    expect(started).toMatchObject({ clientId, registration: 'preregistered' });
    expect(await oauthStatus()).toMatchObject({ status: 'authorized', client: { clientId, method: 'preregistered' } });
    await eventually(toolNames, (names) => names.includes('protected__whoami'));
    expect(JSON.parse(textOf(await callTool('whoami')))).toMatchObject({ clientId });
  });

  it('keeps no token or client secret in plaintext: not in the data directory, the event log, the API or the log lines', async () => {
    const { authorizations } = await seen();
    const accessTokens = authorizations.map((value) => value.replace(/^Bearer /i, '')).filter((token) => token.split('.').length === 3);
    const { refreshTokens, clientSecrets } = await getJson<{ refreshTokens: string[]; clientSecrets: string[] }>(`${as.baseUrl}/__test/secrets`);
    expect(accessTokens.length).toBeGreaterThanOrEqual(4);
    expect(refreshTokens.length).toBeGreaterThanOrEqual(4);
    expect(clientSecrets.length).toBe(3);
    const secrets = [...accessTokens, ...refreshTokens, ...clientSecrets];
    expect(findInFiles(gh.dataDir, secrets)).toEqual([]);
    expect(logLines.some((line) => line.includes('oauth tokens refreshed'))).toBe(true);
    const exposed = JSON.stringify([await allEvents(gh), await oauthStatus(), (await gh.api('GET', '/api/servers/protected')).body, logLines]);
    expect(secrets.filter((secret) => exposed.includes(secret))).toEqual([]);
  });
});
