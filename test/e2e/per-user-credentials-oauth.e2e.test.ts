import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fixtureServer } from '../fixtures/upstream-fixtures';
import { MemoryOAuthClient, signInAndConsent, signInAsPerson } from '../support/oauth-server-client';
import { OAUTH_ADMIN_TOKEN, startOAuthGatehouse, type OAuthGatehouse } from '../support/oauth-server-gatehouse';
import { SessionClient } from '../support/session-client';

const PASSWORD = 'a long enough password 42';
const IVYS_SECRET = 'ivy-env-secret-6b7c8d9e0f';

/** A client that signs in from scratch (401, discovery, registration, consent, token) as `person`, or with the admin token. */
const connectWithOAuth = async (gh: OAuthGatehouse, slug: string, oauth: MemoryOAuthClient, person?: Map<string, string>): Promise<Client> => {
  const endpoint = new URL(`${gh.url}/mcp/${slug}`);
  const first = new StreamableHTTPClientTransport(endpoint, { authProvider: oauth });
  await expect(new Client({ name: 'per-user-oauth-test', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
  const signedIn = await signInAndConsent(oauth.authorizationUrl as URL, person ? {} : { adminToken: OAUTH_ADMIN_TOKEN }, person);
  if (signedIn.code === null) throw new Error(`no code: ${JSON.stringify(signedIn)}`);
  await first.finishAuth(signedIn.code);
  const client = new Client({ name: 'per-user-oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: oauth }));
  return client;
};

type ToolResult = { isError?: boolean; content: { text: string }[] };

describe('per-user credentials for a session opened with an OAuth access token of Gatehouse\'s own', () => {
  let gh: OAuthGatehouse;

  beforeAll(async () => {
    gh = await startOAuthGatehouse({ team: 'oauth' });
    const envy = { name: 'envy', transport: 'stdio', command: process.execPath, args: [fixtureServer('env-server.js')], credentials: 'per_user' };
    expect((await gh.api('POST', '/api/servers', envy)).status).toBe(201);
    expect((await gh.api('PUT', '/api/profiles/team/servers/envy', { status: 'active' })).status).toBeLessThan(300);
    for (const kind of ['profiles/team', 'servers/envy']) {
      expect((await gh.api('PUT', `/api/${kind}/access`, { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] })).status).toBe(200);
    }
    expect((await gh.api('POST', '/api/users', { name: 'ivy', role: 'member', password: PASSWORD })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
  });

  it('reaches the upstream with the credentials of the token\'s account; the admin\'s token has no user', async () => {
    const ivy = new SessionClient(gh.url);
    expect((await ivy.signIn('ivy', PASSWORD)).status).toBe(201);
    expect((await ivy.write('PUT', '/api/servers/envy/credentials', { env: { API_TOKEN: IVYS_SECRET } })).status).toBe(200);

    const client = await connectWithOAuth(gh, 'team', new MemoryOAuthClient('ivy-client'), await signInAsPerson(gh.url, 'ivy', PASSWORD));
    const result = (await client.callTool({ name: 'envy__get_env', arguments: {} })) as ToolResult;
    expect(result.isError).toBeFalsy();
    expect((JSON.parse(result.content[0].text) as { env: Record<string, string> }).env.API_TOKEN).toBe(IVYS_SECRET);
    await client.close();

    const admins = await connectWithOAuth(gh, 'team', new MemoryOAuthClient('admin-client'));
    const refused = (await admins.callTool({ name: 'envy__get_env', arguments: {} })) as ToolResult;
    expect(refused.isError).toBe(true);
    expect(refused.content[0].text).toMatch(/"envy".*no user/);
    // The probe server of the profile (shared credentials) still answers the admin's session.
    expect((await admins.listTools()).tools.map((tool) => tool.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^probe__/)]));
    await admins.close();
  }, 60_000);
});
