import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpServer, type RunningHttpServer } from '../fixtures/upstream-fixtures';
import { allEvents } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { authorizationServerMetadata, startMetadataServer, type MetadataServer } from '../support/metadata-server';
import { expectProblem } from '../support/problem';

const FAST_SERVER = path.join(__dirname, '../fixtures/servers/fast-server.js');

/** What OAuth must refuse (as 4xx problems), and what it must leave alone (static upstream auth). */
describe('OAuth edges: bad input, unsupported upstreams, static auth', () => {
  let gh: TestGatehouse;
  let plain: RunningHttpServer;
  let weak: MetadataServer;
  let client: Client;
  let key: string;

  beforeAll(async () => {
    gh = await startTestGatehouse();
    plain = await startHttpServer([FAST_SERVER, '--http', '0']);
    // Protected resource metadata whose authorization server does not advertise PKCE S256.
    weak = await startMetadataServer((base) => ({
      '/.well-known/oauth-protected-resource/mcp': { resource: `${base}/mcp`, authorization_servers: [base] },
      '/.well-known/oauth-authorization-server': authorizationServerMetadata(base, { code_challenge_methods_supported: undefined }),
    }));
    await gh.api('POST', '/api/servers', { name: 'local', transport: 'stdio', command: process.execPath, args: ['-e', ''] });
    await gh.api('POST', '/api/servers', {
      name: 'static',
      transport: 'streamable_http',
      url: `${plain.baseUrl}/mcp`,
      bearerToken: 'static-bearer-0123456789',
      headers: { 'X-Api-Key': 'custom-header-value-42' },
    });
    await gh.api('POST', '/api/servers', { name: 'weak', transport: 'streamable_http', url: `${weak.baseUrl}/mcp` });
    await gh.api('POST', '/api/profiles', { slug: 'dev' });
    await gh.api('PUT', '/api/profiles/dev/servers/static', { status: 'active' });
    key = (await gh.api('POST', '/api/keys', { name: 'test', profiles: ['dev'] })).body.key;
    client = await connectClient(gh.url, 'dev', { key });
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await gh?.stop();
    await plain?.stop();
    await weak?.close();
  });

  it('answers 404 for a server that does not exist', async () => {
    expectProblem(await gh.api('POST', '/api/servers/nope/oauth/authorize', {}), 404, 'SERVER_NOT_FOUND');
    expectProblem(await gh.api('GET', '/api/servers/nope/oauth'), 404, 'SERVER_NOT_FOUND');
    expectProblem(await gh.api('DELETE', '/api/servers/nope/oauth'), 404, 'SERVER_NOT_FOUND');
  });

  it('needs the admin token for the OAuth routes under /api', async () => {
    const response = await fetch(`${gh.url}/api/servers/static/oauth`);
    expect(response.status).toBe(401);
  });

  it.each<[string, unknown, number, string]>([
    ['a scope with a space', { scopes: ['a b'] }, 400, 'VALIDATION_FAILED'],
    ['scopes that are no list', { scopes: 'mcp:tools' }, 400, 'VALIDATION_FAILED'],
    ['a client secret without a client id', { clientSecret: 'shh-0123456789' }, 400, 'VALIDATION_FAILED'],
    ['an empty client id', { clientId: '' }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', { redirectUri: 'https://evil.example/cb' }, 400, 'VALIDATION_FAILED'],
    ['a list for a body', [], 400, 'VALIDATION_FAILED'],
    ['a body that is not JSON', '{"scopes": [', 400, 'INVALID_JSON'],
  ])('refuses %s', async (_, body, status, code) => {
    expectProblem(await gh.api('POST', '/api/servers/weak/oauth/authorize', body), status, code);
  });

  it('refuses OAuth for a stdio server, and shows no OAuth state for it', async () => {
    expectProblem(await gh.api('POST', '/api/servers/local/oauth/authorize', {}), 409, 'OAUTH_UNSUPPORTED');
    expect((await gh.api('GET', '/api/servers/local')).body).not.toHaveProperty('oauth');
  });

  it('refuses an upstream that publishes no protected resource metadata', async () => {
    const problem = expectProblem(await gh.api('POST', '/api/servers/static/oauth/authorize', {}), 409, 'OAUTH_UNSUPPORTED');
    expect(problem.detail).toContain('protected resource metadata');
  });

  it('refuses an authorization server that does not advertise S256, before registering anything', async () => {
    const problem = expectProblem(await gh.api('POST', '/api/servers/weak/oauth/authorize', {}), 409, 'OAUTH_UNSUPPORTED');
    expect(problem.detail).toContain('S256');
    expect(weak.requests).not.toContain('/register');
    expect(await allEvents(gh, '&type=OAuthClientRegistered')).toEqual([]);
  });

  it.each<[string, string]>([
    ['no state', ''],
    ['an unknown state', '?state=forged&code=abc'],
    ['an error for an unknown state', '?state=forged&error=access_denied'],
  ])('refuses a callback with %s (400, no admin token needed)', async (_, query) => {
    const response = await fetch(`${gh.url}/oauth/callback${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'OAUTH_STATE_INVALID' });
  });

  it('refuses a callback with a repeated or oversized parameter', async () => {
    expect((await fetch(`${gh.url}/oauth/callback?state=a&state=b`)).status).toBe(400);
    expect((await fetch(`${gh.url}/oauth/callback?state=${'x'.repeat(5000)}`)).status).toBe(400);
  });

  it('revokes nothing when there is nothing to revoke', async () => {
    expect((await gh.api('DELETE', '/api/servers/static/oauth')).status).toBe(204);
    expect(await allEvents(gh, '&type=OAuthTokensRevoked')).toEqual([]);
    expectProblem(await gh.api('DELETE', '/api/servers/static/oauth', undefined, { 'if-match': '"7"' }), 412, 'VERSION_MISMATCH');
    expect((await gh.api('GET', '/api/servers/static/oauth')).body).toMatchObject({ status: 'not_authorized', client: null, version: 0 });
  });

  it('keeps sending the configured bearer token and headers, and never the client key', async () => {
    const result = await client.callTool({ name: 'static__get_request_headers', arguments: {} });
    const headers = JSON.parse((result.content as { text: string }[])[0].text) as Record<string, string>;
    expect(headers).toMatchObject({ authorization: 'Bearer static-bearer-0123456789', 'x-api-key': 'custom-header-value-42' });
    expect(JSON.stringify(headers)).not.toContain(key);
    expect((await gh.api('GET', '/api/servers/static')).body.oauth).toEqual({ status: 'not_authorized', reason: null, expiresAt: null, available: false });
  });
});
