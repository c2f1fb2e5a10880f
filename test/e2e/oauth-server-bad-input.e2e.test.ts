import { createHash, randomBytes } from 'node:crypto';
import { CLIENT_REDIRECT, signInAndConsent } from '../support/oauth-server-client';
import { OAUTH_ADMIN_TOKEN, startOAuthGatehouse, type OAuthGatehouse } from '../support/oauth-server-gatehouse';
import { initializeRequest, rawMcp } from '../support/proxy';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- protocol answers are asserted field by field

const pkce = (): { verifier: string; challenge: string } => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

describe("Gatehouse's authorization server refuses bad input with a 4xx and keeps nothing of it", () => {
  let gh: OAuthGatehouse;
  let clientId: string;
  const resource = (slug: string): string => `${gh.url}/mcp/${slug}`;
  const rows = (model: string): number => gh.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM oauth_server_records WHERE model = ?', model)?.n ?? 0;

  const post = async (path: string, body: string, type = 'application/x-www-form-urlencoded'): Promise<{ status: number; json: Json }> => {
    const response = await fetch(`${gh.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const text = await response.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      json = { text };
    }
    return { status: response.status, json };
  };
  const token = (params: Record<string, string>) => post('/oauth/token', new URLSearchParams({ client_id: clientId, ...params }).toString());

  const authorizeUrl = (params: Record<string, string | undefined>): URL => {
    const url = new URL(`${gh.url}/oauth/authorize`);
    const all: Record<string, string | undefined> = { client_id: clientId, response_type: 'code', redirect_uri: CLIENT_REDIRECT, scope: 'mcp offline_access', resource: resource('alpha'), state: 's1', ...params };
    for (const [name, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(name, value);
    return url;
  };

  /** A code for alpha, as the person's browser gets it, and the verifier that goes with it. */
  const codeForAlpha = async (): Promise<{ code: string; verifier: string }> => {
    const { verifier, challenge } = pkce();
    const outcome = await signInAndConsent(authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }), { adminToken: OAUTH_ADMIN_TOKEN });
    if (outcome.code === null) throw new Error(`no code: ${outcome.consentStatus} ${outcome.redirect.href}`);
    return { code: outcome.code, verifier };
  };
  const exchange = ({ code, verifier }: { code: string; verifier: string }) =>
    token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: CLIENT_REDIRECT, resource: resource('alpha') });
  const mcpStatus = async (accessToken: string, slug = 'alpha'): Promise<number> =>
    (await rawMcp(`${gh.url}/mcp/${slug}`, { body: initializeRequest(), headers: { authorization: `Bearer ${accessToken}` } })).status;

  beforeAll(async () => {
    gh = await startOAuthGatehouse({ alpha: 'oauth', beta: 'oauth' });
    const registered = await post('/oauth/register', JSON.stringify({ client_name: 'raw', redirect_uris: [CLIENT_REDIRECT], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' }), 'application/json');
    expect(registered.status).toBe(201);
    clientId = registered.json.client_id as string;
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
  });

  it.each([
    ['malformed JSON', '{"redirect_uris": ['],
    ['no object', '[]'],
    ['redirect_uris of the wrong type', JSON.stringify({ redirect_uris: 'http://127.0.0.1:9/cb' })],
    ['a redirect URI that is no URL', JSON.stringify({ redirect_uris: ['not a url'] })],
    ['a fragment in the redirect URI', JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb#x'] })],
    ['an unsupported grant type', JSON.stringify({ redirect_uris: [CLIENT_REDIRECT], grant_types: ['implicit'], response_types: ['token'] })],
    ['an oversized document', JSON.stringify({ redirect_uris: [CLIENT_REDIRECT], client_name: 'x'.repeat(2 * 1024 * 1024) })],
  ])('refuses a registration with %s and registers nothing', async (_label, body) => {
    const before = rows('Client');
    const refused = await post('/oauth/register', body, 'application/json');
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(rows('Client')).toBe(before);
  });

  it('answers a redirect URI that was not registered with a 400 of its own, never a redirect there', async () => {
    const interactions = rows('Interaction');
    const response = await fetch(authorizeUrl({ redirect_uri: 'http://127.0.0.1:9/elsewhere', code_challenge: pkce().challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(((await response.json()) as Json).error).toBe('invalid_redirect_uri');
    expect(rows('Interaction')).toBe(interactions);
  });

  it.each([
    ['without PKCE', {}],
    ['with plain PKCE', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }],
    ['for a resource that is no profile endpoint of its', { code_challenge: pkce().challenge, code_challenge_method: 'S256', resource: 'http://127.0.0.1:9/mcp/alpha' }],
  ])('sends the client an error, not a sign-in, for an authorization %s', async (_label, params) => {
    const interactions = rows('Interaction');
    const response = await fetch(authorizeUrl(params), { redirect: 'manual' });
    // RFC 6749 4.1.2.1: once the client and its redirect URI are known, the error goes back to the client.
    expect(response.status).toBe(303);
    const back = new URL(response.headers.get('location') as string);
    expect(`${back.origin}${back.pathname}`).toBe(CLIENT_REDIRECT);
    expect(back.searchParams.get('error')).toMatch(/^invalid_(request|target)$/);
    expect(back.searchParams.get('code')).toBeNull();
    expect(rows('Interaction')).toBe(interactions);
  });

  it('refuses a wrong admin token on the consent page (401) and issues no code', async () => {
    const outcome = await signInAndConsent(authorizeUrl({ code_challenge: pkce().challenge, code_challenge_method: 'S256' }), { adminToken: 'not-the-admin-token' });
    expect(outcome.code).toBeNull();
    expect(outcome.consentStatus).toBe(401);
    expect(outcome.consentPage).toContain('not the admin token');
  });

  it('binds a request that names no resource and no scope (as the conformance suite sends it) to the profile the person allows, and only once allowed', async () => {
    const { verifier, challenge } = pkce();
    const bare = authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256', resource: undefined, scope: undefined });
    const refused = await signInAndConsent(bare, { adminToken: 'not-the-admin-token', profile: 'beta' });
    expect(refused).toMatchObject({ code: null, consentStatus: 401 });
    const denied = await signInAndConsent(bare, { action: 'deny', profile: 'beta' });
    expect(denied).toMatchObject({ code: null, error: 'access_denied' });

    const allowed = await signInAndConsent(bare, { adminToken: OAUTH_ADMIN_TOKEN, profile: 'beta' });
    expect(allowed).toMatchObject({ error: null, code: expect.any(String) });
    const tokens = await token({ grant_type: 'authorization_code', code: allowed.code as string, code_verifier: verifier, redirect_uri: CLIENT_REDIRECT });
    expect(tokens.status).toBe(200);
    expect(tokens.json).toMatchObject({ token_type: 'Bearer', scope: 'mcp', access_token: expect.any(String) });
    expect(await mcpStatus(tokens.json.access_token, 'beta')).toBe(200);
    expect(await mcpStatus(tokens.json.access_token, 'alpha')).toBe(401);
  });

  it('refuses a wrong PKCE verifier, then a replayed code, and the replay revokes what the code gave', async () => {
    const issued = await codeForAlpha();
    const wrong = await exchange({ ...issued, verifier: pkce().verifier });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toBe('invalid_grant');

    const fresh = await codeForAlpha();
    const first = await exchange(fresh);
    expect(first.status).toBe(200);
    expect(await mcpStatus(first.json.access_token as string)).toBe(200);
    const replay = await exchange(fresh);
    expect(replay.status).toBe(400);
    expect(replay.json.error).toBe('invalid_grant');
    expect(await mcpStatus(first.json.access_token as string)).toBe(401);
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string });
    expect(refresh.status).toBe(400);
  });

  it('rotates refresh tokens; a replayed one revokes the whole family', async () => {
    const first = await exchange(await codeForAlpha());
    expect(first.status).toBe(200);
    const second = await token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string });
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).not.toBe(first.json.refresh_token);
    expect(await mcpStatus(second.json.access_token as string)).toBe(200);

    const replay = await token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string });
    expect(replay.status).toBe(400);
    expect(replay.json.error).toBe('invalid_grant');
    const afterReplay = await token({ grant_type: 'refresh_token', refresh_token: second.json.refresh_token as string });
    expect(afterReplay.status).toBe(400);
    expect(await mcpStatus(second.json.access_token as string)).toBe(401);
  });

  it("refuses alpha's token on beta, and a token request for beta on alpha's grant", async () => {
    const tokens = await exchange(await codeForAlpha());
    expect(await mcpStatus(tokens.json.access_token as string, 'beta')).toBe(401);
    const otherResource = await token({ grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string, resource: resource('beta') });
    expect(otherResource.status).toBe(400);
    expect(otherResource.json.error).toBe('invalid_target');
  });

  it('answers garbage at the token and revocation endpoints with a 4xx', async () => {
    for (const [path, body] of [
      ['/oauth/token', 'grant_type=authorization_code&code=nope&code_verifier=x'],
      ['/oauth/token', 'grant_type=password&username=a&password=b'],
      ['/oauth/token', '%%%'],
      ['/oauth/revoke', ''],
    ] as const) {
      const response = await post(path, body);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
  });
});
