import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { createProfile, initializeRequest, issueKey, PROBE_SERVER, rawMcp, registerStdioServer } from '../support/proxy';

describe('profile auth mode, protected resource metadata and the 401 challenge', () => {
  let gh: TestGatehouse;

  beforeAll(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '100000' });
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'meta']);
    await createProfile(gh, 'keys', ['probe']);
    await createProfile(gh, 'tokens', ['probe'], { auth: { mode: 'oauth' } });
    await createProfile(gh, 'either', ['probe'], { auth: { mode: 'both' } });
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('keeps api_keys as the default, shows the mode, and records a change as an event', async () => {
    expect((await gh.api('GET', '/api/profiles/keys')).body.auth).toEqual({ apiKey: true, queryParam: false, mode: 'api_keys' });
    expect((await gh.api('GET', '/api/profiles/tokens')).body.auth).toEqual({ apiKey: true, queryParam: false, mode: 'oauth' });
    const patched = await gh.api('PATCH', '/api/profiles/either', { auth: { mode: 'oauth' } });
    expect(patched.status).toBe(200);
    expect(patched.body.auth.mode).toBe('oauth');
    const history = await gh.api('GET', '/api/profiles/either/history');
    const last = history.body.events.at(-1);
    expect(last).toMatchObject({ type: 'ProfileUpdated', data: { changes: { auth: { apiKey: true, queryParam: false, mode: 'oauth' } } } });
    expect((await gh.api('PATCH', '/api/profiles/either', { auth: { mode: 'both' } })).status).toBe(200);
  });

  it('refuses an unknown mode with a 400 and changes nothing', async () => {
    const before = await gh.api('GET', '/api/profiles/keys');
    const refused = await gh.api('PATCH', '/api/profiles/keys', { auth: { mode: 'magic' } });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await gh.api('GET', '/api/profiles/keys')).body.version).toBe(before.body.version);
  });

  it('serves RFC 9728 metadata for a profile that takes OAuth tokens, and a 404 otherwise', async () => {
    const response = await fetch(`${gh.url}/.well-known/oauth-protected-resource/mcp/tokens`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      resource: `${gh.url}/mcp/tokens`,
      authorization_servers: [gh.url],
      scopes_supported: ['mcp'],
      bearer_methods_supported: ['header'],
      resource_name: 'Gatehouse profile tokens',
    });
    for (const slug of ['keys', 'nobody']) {
      const missing = await fetch(`${gh.url}/.well-known/oauth-protected-resource/mcp/${slug}`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('names the metadata in the 401 challenge, and the SDK discovers it from there', async () => {
    const refused = await rawMcp(`${gh.url}/mcp/tokens`, { body: initializeRequest() });
    expect(refused.status).toBe(401);
    const { resourceMetadataUrl } = extractWWWAuthenticateParams(new Response(null, { status: 401, headers: refused.headers }));
    expect(resourceMetadataUrl?.href).toBe(`${gh.url}/.well-known/oauth-protected-resource/mcp/tokens`);
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(`${gh.url}/mcp/tokens`), { resourceMetadataUrl });
    expect(metadata.resource).toBe(`${gh.url}/mcp/tokens`);
    const unknown = await rawMcp(`${gh.url}/mcp/tokens`, { body: initializeRequest(), headers: { authorization: 'Bearer not-a-token-we-issued' } });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
    // An api_keys profile's challenge names no metadata: there is no authorization server for it.
    const keysOnly = await rawMcp(`${gh.url}/mcp/keys`, { body: initializeRequest() });
    expect(keysOnly.status).toBe(401);
    expect(keysOnly.headers.get('www-authenticate')).not.toContain('resource_metadata');
  });

  it('takes no API key on an oauth profile, and still takes one on a both profile', async () => {
    const key = await issueKey(gh, ['*'], 'star');
    const refused = await rawMcp(`${gh.url}/mcp/tokens`, { body: initializeRequest(), headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(401);
    const client = await connectClient(gh.url, 'either', { key });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });
});
