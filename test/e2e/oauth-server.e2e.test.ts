import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthClient, signInAndConsent, signInAsPerson } from '../support/oauth-server-client';
import { OAUTH_ADMIN_TOKEN, startOAuthGatehouse, type OAuthGatehouse } from '../support/oauth-server-gatehouse';
import { openStream, openStreamableSession, sessionHeaders } from '../support/mcp-streams';
import { initializeRequest, rawMcp } from '../support/proxy';

/** Long enough for the steps before the expiry check under load, short enough to wait out. */
const ACCESS_TOKEN_TTL_SECONDS = 6;

/** A client that signs in from scratch: connect, 401, discovery, registration, the person's consent, token, connect again. */
const connectWithOAuth = async (gh: OAuthGatehouse, slug: string, oauth: MemoryOAuthClient, person?: Map<string, string>): Promise<Client> => {
  const endpoint = new URL(`${gh.url}/mcp/${slug}`);
  const first = new StreamableHTTPClientTransport(endpoint, { authProvider: oauth });
  await expect(new Client({ name: 'oauth-test', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(oauth.authorizationUrl).toBeDefined();
  const signedIn = await signInAndConsent(oauth.authorizationUrl as URL, person ? {} : { adminToken: OAUTH_ADMIN_TOKEN }, person);
  if (signedIn.code === null) throw new Error(`no code: ${JSON.stringify(signedIn)}`);
  await first.finishAuth(signedIn.code as string);
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: oauth }));
  return client;
};

describe('Gatehouse as the OAuth 2.1 authorization server of its MCP endpoints (SDK client flow)', () => {
  let gh: OAuthGatehouse;

  beforeAll(async () => {
    gh = await startOAuthGatehouse({ alpha: 'oauth', beta: 'both', keys: 'api_keys' }, { GATEHOUSE_OAUTH_ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) });
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
  });

  it('serves RFC 8414 metadata: code flow with PKCE S256 only, registration and revocation', async () => {
    const response = await fetch(`${gh.url}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as { grant_types_supported: string[] };
    expect(metadata).toMatchObject({
      issuer: gh.url,
      authorization_endpoint: `${gh.url}/oauth/authorize`,
      token_endpoint: `${gh.url}/oauth/token`,
      registration_endpoint: `${gh.url}/oauth/register`,
      revocation_endpoint: `${gh.url}/oauth/revoke`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
  });

  it('connects from scratch, calls tools, refreshes after expiry, and is refused on another profile and after revocation', async () => {
    const oauth = new MemoryOAuthClient();
    const client = await connectWithOAuth(gh, 'alpha', oauth);
    const issuedAt = Date.now();
    expect(oauth.client?.client_id).toEqual(expect.any(String));
    const tools = await client.listTools();
    expect(tools.tools.length).toBeGreaterThan(0);
    const first = oauth.saved;
    expect(first?.refresh_token).toEqual(expect.any(String));

    // The access token is bound to alpha's endpoint: beta (which takes OAuth too) refuses it.
    const onBeta = await rawMcp(`${gh.url}/mcp/beta`, { body: initializeRequest(), headers: { authorization: `Bearer ${first?.access_token}` } });
    expect(onBeta.status).toBe(401);
    expect(onBeta.headers.get('www-authenticate')).toContain(`resource_metadata="${gh.url}/.well-known/oauth-protected-resource/mcp/beta"`);
    expect(onBeta.text).toContain("another endpoint");

    // Past its lifetime the access token is refused; the SDK refreshes (a new refresh token too) and goes on in the same session.
    const expiresAt = issuedAt + ACCESS_TOKEN_TTL_SECONDS * 1000;
    await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 1000));
    const expired = await rawMcp(`${gh.url}/mcp/alpha`, { body: initializeRequest(), headers: { authorization: `Bearer ${first?.access_token}` } });
    expect(expired.status).toBe(401);
    expect((await client.listTools()).tools.length).toBe(tools.tools.length);
    const refreshed = oauth.saved;
    expect(refreshed?.access_token).not.toBe(first?.access_token);
    expect(refreshed?.refresh_token).not.toBe(first?.refresh_token);

    // RFC 7009: revoking the refresh token ends the grant; the live access token goes with it.
    const revoked = await fetch(`${gh.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshed?.refresh_token as string, client_id: oauth.client?.client_id as string }),
    });
    expect(revoked.status).toBe(200);
    const after = await rawMcp(`${gh.url}/mcp/alpha`, { body: initializeRequest(), headers: { authorization: `Bearer ${refreshed?.access_token}` } });
    expect(after.status).toBe(401);
    await expect(client.listTools()).rejects.toThrow();
    await client.close();
  }, 60_000);

  it('stores no code or token, and no client secret in plaintext', async () => {
    const oauth = new MemoryOAuthClient('confidential');
    Object.defineProperty(oauth, 'clientMetadata', { get: () => ({ client_name: 'confidential', redirect_uris: ['http://127.0.0.1:9/callback'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' }) });
    const client = await connectWithOAuth(gh, 'beta', oauth);
    await client.listTools();
    const secret = (oauth.client as { client_secret?: string }).client_secret;
    expect(secret).toEqual(expect.any(String));
    const rows = gh.sql.all<{ key: string; model: string; payload: string }>('SELECT key, model, payload FROM oauth_server_records');
    expect(rows.map((row) => row.model)).toEqual(expect.arrayContaining(['Client', 'Grant', 'AccessToken', 'RefreshToken']));
    const stored = JSON.stringify(rows);
    for (const value of [secret, oauth.saved?.access_token, oauth.saved?.refresh_token, ...oauth.issued.flatMap((t) => [t.access_token, t.refresh_token])]) {
      expect(value).toEqual(expect.any(String));
      expect(stored).not.toContain(value);
    }
    expect(stored).toContain('client_secret_sealed');
    await client.close();
  }, 60_000);

  it('lets a member allow only the profiles they may use, and ends their tokens when a profile is unshared', async () => {
    expect((await gh.api('POST', '/api/users', { name: 'mo', role: 'member', password: 'members password 0042' })).status).toBe(201);
    const person = await signInAsPerson(gh.url, 'mo', 'members password 0042');
    const grantsBefore = gh.sql.all("SELECT 1 FROM oauth_server_records WHERE model = 'Grant'").length;

    // alpha is private to admins: its consent page says so, offers nothing, and allowing is refused.
    const refused = new MemoryOAuthClient('member-client');
    const first = new StreamableHTTPClientTransport(new URL(`${gh.url}/mcp/alpha`), { authProvider: refused });
    await expect(new Client({ name: 'oauth-test', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const outcome = await signInAndConsent(refused.authorizationUrl as URL, { profile: 'alpha' }, person);
    expect(outcome).toMatchObject({ code: null, consentStatus: 403 });
    expect(outcome.consentPage).toContain('The application asked for the profile alpha, which you may not use');
    expect(outcome.consentPage).not.toContain('<option');
    expect(gh.sql.all("SELECT 1 FROM oauth_server_records WHERE model = 'Grant'").length).toBe(grantsBefore);

    // Shared with the member role, alpha can be allowed, and the token works...
    expect((await gh.api('PUT', '/api/profiles/alpha/access', { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] })).status).toBe(200);
    const oauth = new MemoryOAuthClient('member-client-2');
    const client = await connectWithOAuth(gh, 'alpha', oauth, person);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const credential = { bearer: oauth.saved?.access_token };
    const listening = await openStream(`${gh.url}/mcp/alpha`, credential, sessionHeaders(await openStreamableSession(`${gh.url}/mcp/alpha`, credential)));
    expect(listening.status).toBe(200);
    // ...until it is private again: the next request with the same token is refused, and the
    // session that only listens closes with the change.
    expect((await gh.api('PUT', '/api/profiles/alpha/access', { owner: null, visibility: 'private', sharedWithUsers: [], sharedWithRoles: [] })).status).toBe(200);
    const stillOpen = new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 5_000).unref());
    expect(await Promise.race([listening.ended.then(() => 'ended'), stillOpen])).toBe('ended');
    const after = await rawMcp(`${gh.url}/mcp/alpha`, { body: initializeRequest(), headers: { authorization: `Bearer ${oauth.saved?.access_token}` } });
    expect(after.status).toBe(401);
    await client.close();
  }, 60_000);

  it("lets a signed-in person allow a client, and refuses the person's token once they are disabled", async () => {
    const created = await gh.api('POST', '/api/users', { name: 'ada', role: 'member', password: 'correct horse battery staple' });
    expect(created.status).toBe(201);
    const person = await signInAsPerson(gh.url, 'ada', 'correct horse battery staple');
    expect((await gh.api('PUT', '/api/profiles/beta/access', { owner: null, visibility: 'shared', sharedWithUsers: ['ada'], sharedWithRoles: [] })).status).toBe(200);
    const oauth = new MemoryOAuthClient('person-client');
    const client = await connectWithOAuth(gh, 'beta', oauth, person);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const grants = gh.sql.all<{ payload: string }>("SELECT payload FROM oauth_server_records WHERE model = 'Grant'").map((row) => JSON.parse(row.payload) as { accountId: string });
    expect(grants.map((grant) => grant.accountId)).toContain(created.body.id);
    // A session opened with the person's token, listening on its stream: it closes when they are
    // disabled, not at its next request (a stream that only listens makes none).
    const credential = { bearer: oauth.saved?.access_token };
    const listening = await openStream(`${gh.url}/mcp/beta`, credential, sessionHeaders(await openStreamableSession(`${gh.url}/mcp/beta`, credential)));
    expect(listening.status).toBe(200);
    expect((await gh.api('PATCH', '/api/users/ada', { status: 'disabled' })).status).toBe(200);
    const stillOpen = new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 5_000).unref());
    expect(await Promise.race([listening.ended.then(() => 'ended'), stillOpen])).toBe('ended');
    const refused = await rawMcp(`${gh.url}/mcp/beta`, { body: initializeRequest(), headers: { authorization: `Bearer ${oauth.saved?.access_token}` } });
    expect(refused.status).toBe(401);
    await client.close();
  }, 60_000);

  it("closes the OAuth sessions of an admin demoted to member on a profile not shared with them, not on one that is", async () => {
    expect((await gh.api('POST', '/api/users', { name: 'grace', role: 'admin', password: 'correct horse battery staple' })).status).toBe(201);
    const person = await signInAsPerson(gh.url, 'grace', 'correct horse battery staple');
    expect((await gh.api('PUT', '/api/profiles/beta/access', { owner: null, visibility: 'shared', sharedWithUsers: ['grace'], sharedWithRoles: [] })).status).toBe(200);
    expect((await gh.api('PUT', '/api/profiles/alpha/access', { owner: null, visibility: 'private', sharedWithUsers: [], sharedWithRoles: [] })).status).toBe(200);
    const listen = async (slug: string, clientName: string) => {
      const oauth = new MemoryOAuthClient(clientName);
      await (await connectWithOAuth(gh, slug, oauth, person)).close();
      const credential = { bearer: oauth.saved?.access_token };
      const stream = await openStream(`${gh.url}/mcp/${slug}`, credential, sessionHeaders(await openStreamableSession(`${gh.url}/mcp/${slug}`, credential)));
      expect(stream.status).toBe(200);
      return stream;
    };
    const onPrivate = await listen('alpha', 'admin-client-alpha');
    const onShared = await listen('beta', 'admin-client-beta');
    expect((await gh.api('PATCH', '/api/users/grace', { role: 'member' })).status).toBe(200);
    const settled = (stream: typeof onPrivate, waitMs: number) =>
      Promise.race([stream.ended.then(() => 'ended'), new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), waitMs).unref())]);
    // Ends as soon as the follower has the change (10 s: a loaded machine); the other is still open 3 s later.
    expect(await settled(onPrivate, 10_000)).toBe('ended');
    expect(await settled(onShared, 3_000)).toBe('still open');
    onShared.close();
  }, 60_000);
});
