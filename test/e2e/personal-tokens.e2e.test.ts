import { existsSync, readFileSync } from 'node:fs';
import { allEvents, eventCount } from '../support/events';
import { startTestGatehouse, type ApiResponse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';
import { SessionClient } from '../support/session-client';

jest.setTimeout(120_000);

const PASSWORDS = { ada: 'admin password 4567', mia: 'member password 89' };

/** A client that sends only `Authorization: Bearer <token>`, as a script would. */
const bearer = (gh: TestGatehouse, token: string) => (method: string, path: string, body?: unknown): Promise<ApiResponse> =>
  gh.api(method, path, body, { authorization: `Bearer ${token}` });

describe('personal access tokens: a user\'s own bearer tokens for the REST API', () => {
  let gh: TestGatehouse;
  const logLines: string[] = [];
  const responses: string[] = [];
  const issued: string[] = [];
  const people: Record<string, SessionClient> = {};
  const ids: Record<string, string> = {};

  /** Every answer the test reads goes through here, so that the last test can look for tokens in them. */
  const kept = (response: ApiResponse): ApiResponse => {
    responses.push(JSON.stringify(response.body));
    return response;
  };
  const createToken = async (who: string, body: unknown): Promise<ApiResponse> => {
    const response = await people[who].write('POST', '/api/me/tokens', body);
    if (response.status === 201) issued.push(response.body.token);
    return response;
  };

  beforeAll(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_LOG_LEVEL: 'debug' }, { write: (line) => void logLines.push(line) });
    for (const [name, role] of [['ada', 'admin'], ['mia', 'member']] as const) {
      ids[name] = (await gh.api('POST', '/api/users', { name, role, password: PASSWORDS[name] })).body.id;
      people[name] = new SessionClient(gh.url);
      expect((await people[name].signIn(name, PASSWORDS[name])).status).toBe(201);
    }
  });
  afterAll(async () => {
    await gh?.stop();
  });

  it('shows a new token once; it acts as its user, with the user\'s role, and the events name the user', async () => {
    const created = await createToken('mia', { name: 'mia laptop' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'mia laptop', status: 'active', expiresAt: null, token: expect.stringMatching(/^ghp_[A-Za-z0-9_-]{43}$/) });
    expect(created.body.prefix).toBe(created.body.token.slice(0, 10));
    expect(created.headers.get('location')).toBe(`/api/me/tokens/${created.body.id}`);
    const mia = bearer(gh, created.body.token);

    expect(kept(await mia('GET', '/api/me')).body).toMatchObject({ kind: 'user', via: 'token', name: 'mia', role: 'member' });
    expect(kept(await mia('GET', '/api/servers')).status).toBe(200);
    expectProblem(await mia('POST', '/api/servers', { name: 'nope', transport: 'stdio', command: 'node' }), 403, 'FORBIDDEN');
    expectProblem(await mia('POST', '/api/profiles', { slug: 'nope' }), 403, 'FORBIDDEN');
    expectProblem(await mia('GET', '/api/users'), 403, 'FORBIDDEN');

    const adas = await createToken('ada', { name: 'ada ci', expiresAt: '2099-01-01' });
    expect(adas.body.expiresAt).toBe('2099-01-01T00:00:00.000Z');
    const ada = bearer(gh, adas.body.token);
    // A write with a token needs no CSRF token: it carries no cookie.
    expect(kept(await ada('POST', '/api/servers', { name: 'adas', transport: 'stdio', command: process.execPath, args: ['-e', ''] })).status).toBe(201);
    expect(kept(await ada('POST', '/api/profiles', { slug: 'adas' })).status).toBe(201);
    const actors = (await allEvents(gh, '&type=ServerRegistered,ProfileCreated')).map((event) => event.metadata.actor);
    expect(actors).toEqual([`user:ada/${ids.ada}`, `user:ada/${ids.ada}`]);
    const issues = await allEvents(gh, '&type=PersonalAccessTokenIssued');
    expect(issues.map((event) => [event.data.userId, event.metadata.actor])).toEqual([[ids.mia, `user:mia/${ids.mia}`], [ids.ada, `user:ada/${ids.ada}`]]);
  });

  it('lists and shows a person\'s own tokens only, never the token or its hash', async () => {
    const list = kept(await people.mia.request('GET', '/api/me/tokens'));
    expect(list.status).toBe(200);
    expect(list.body.tokens).toHaveLength(1);
    expect(Object.keys(list.body.tokens[0]).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'name', 'prefix', 'revokedAt', 'status', 'version']);
    const adasId = kept(await people.ada.request('GET', '/api/me/tokens')).body.tokens[0].id;
    expectProblem(await people.mia.request('GET', `/api/me/tokens/${adasId}`), 404, 'TOKEN_NOT_FOUND');
    expectProblem(await people.mia.write('DELETE', `/api/me/tokens/${adasId}`), 404, 'TOKEN_NOT_FOUND');
    expect(kept(await people.ada.request('GET', `/api/me/tokens/${adasId}`)).body.status).toBe('active');
  });

  it('refuses a revoked token from the next request on', async () => {
    const created = await createToken('mia', { name: 'short lived' });
    const mia = bearer(gh, created.body.token);
    expect((await mia('GET', '/api/me')).status).toBe(200);
    // Revoked with the token itself: listing and revoking work with a token too.
    expect((await mia('DELETE', `/api/me/tokens/${created.body.id}`)).status).toBe(204);
    expectProblem(await mia('GET', '/api/me'), 401, 'INVALID_TOKEN');
    expect(kept(await people.mia.request('GET', `/api/me/tokens/${created.body.id}`)).body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    expect((await people.mia.write('DELETE', `/api/me/tokens/${created.body.id}`)).status).toBe(204);
    const revocations = await allEvents(gh, '&type=PersonalAccessTokenRevoked');
    expect(revocations.map((event) => event.metadata.actor)).toEqual([`user:mia/${ids.mia}`]);
  });

  it('refuses a token once it has expired', async () => {
    const expiresAt = new Date(Date.now() + 3000).toISOString();
    const created = await createToken('mia', { name: 'expiring', expiresAt });
    expect(created.status).toBe(201);
    const mia = bearer(gh, created.body.token);
    const first = await mia('GET', '/api/me');
    // On a loaded machine the three seconds may be gone already; then only the refusal is checked.
    if (Date.now() < Date.parse(expiresAt) - 500) expect(first.status).toBe(200);
    for (let i = 0; i < 200 && Date.now() <= Date.parse(expiresAt); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expectProblem(await mia('GET', '/api/me'), 401, 'INVALID_TOKEN');
    expect(kept(await people.mia.request('GET', `/api/me/tokens/${created.body.id}`)).body.status).toBe('expired');
  });

  it('refuses a disabled user\'s tokens at once, and takes them back when the user is enabled', async () => {
    const created = await createToken('ada', { name: 'ada laptop' });
    const ada = bearer(gh, created.body.token);
    expect((await ada('GET', '/api/settings')).status).toBe(200);
    expect((await gh.api('PATCH', '/api/users/ada', { status: 'disabled' })).status).toBe(200);
    const started = Date.now();
    expectProblem(await ada('GET', '/api/me'), 401, 'INVALID_TOKEN');
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await gh.api('PATCH', '/api/users/ada', { status: 'enabled' })).status).toBe(200);
    expect((await ada('GET', '/api/settings')).status).toBe(200);
    // A role change applies to the next request too.
    expect((await gh.api('PATCH', '/api/users/ada', { role: 'member' })).status).toBe(200);
    expectProblem(await ada('GET', '/api/settings'), 403, 'FORBIDDEN');
    expect((await gh.api('PATCH', '/api/users/ada', { role: 'admin' })).status).toBe(200);
  });

  it('refuses bad input with problem+json, changing nothing', async () => {
    const before = eventCount(gh);
    const create = (body: unknown) => people.mia.write('POST', '/api/me/tokens', body);
    expectProblem(await create({}), 400);
    expectProblem(await create({ name: '' }), 400);
    expectProblem(await create({ name: 'x'.repeat(129) }), 400);
    expectProblem(await create({ name: 'a\nb' }), 400, 'INVALID_ARGUMENT');
    expectProblem(await create({ name: 'n', expiresAt: 'next week' }), 400);
    expectProblem(await create({ name: 'n', expiresAt: '2020-01-01T00:00:00Z' }), 400, 'INVALID_ARGUMENT');
    expectProblem(await create({ name: 'n', expiresAt: '2030-01-01T00:00:00' }), 400, 'INVALID_ARGUMENT');
    expectProblem(await create({ name: 'n', userId: ids.ada }), 400);
    expectProblem(await create('[1,'), 400, 'INVALID_JSON');
    // No CSRF token with the cookie: refused before anything else.
    expectProblem(await people.mia.request('POST', '/api/me/tokens', { name: 'n' }), 403, 'CSRF_TOKEN_INVALID');
    // The admin token is nobody: it has no tokens of its own.
    expectProblem(await gh.api('POST', '/api/me/tokens', { name: 'n' }), 409, 'NOT_A_USER');
    expectProblem(await gh.api('GET', '/api/me/tokens'), 409, 'NOT_A_USER');
    // A token cannot mint more tokens.
    const miasToken = issued[0];
    expectProblem(await bearer(gh, miasToken)('POST', '/api/me/tokens', { name: 'more' }), 403, 'SIGN_IN_REQUIRED');
    for (const token of ['ghp_', `ghp_${'A'.repeat(43)}`, `ghp_${'A'.repeat(5000)}`, `${miasToken}x`, miasToken.slice(0, -1)]) {
      expectProblem(await bearer(gh, token)('GET', '/api/me'), 401, 'INVALID_TOKEN');
    }
    expectProblem(await people.mia.write('DELETE', '/api/me/tokens/no-such-token'), 404, 'TOKEN_NOT_FOUND');
    expect(eventCount(gh)).toBe(before);
  });

  it('lets the owner see and revoke another person\'s tokens (never the tokens), and nobody else', async () => {
    const olivia = new SessionClient(gh.url);
    ids.olivia = (await gh.api('POST', '/api/users', { name: 'olivia', role: 'owner', password: 'owner password 0123' })).body.id;
    expect((await olivia.signIn('olivia', 'owner password 0123')).status).toBe(201);
    const lost = await createToken('mia', { name: 'lost laptop' });
    const lostToken = bearer(gh, lost.body.token);
    expect((await lostToken('GET', '/api/me')).status).toBe(200);

    const list = kept(await olivia.request('GET', '/api/users/mia/tokens'));
    expect(list.status).toBe(200);
    // The owner sees what mia sees of her own tokens.
    expect(list.body).toEqual(kept(await people.mia.request('GET', '/api/me/tokens')).body);
    expect(list.body.tokens.map((token: { name: string }) => token.name)).toContain('lost laptop');
    expect(Object.keys(list.body.tokens[0]).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'name', 'prefix', 'revokedAt', 'status', 'version']);
    expect(kept(await olivia.request('GET', `/api/users/${ids.mia}/tokens`)).body).toEqual(list.body);

    // Nobody but the owner: an admin and the token's own member are refused.
    const ada = new SessionClient(gh.url);
    expect((await ada.signIn('ada', PASSWORDS.ada)).status).toBe(201);
    expectProblem(await ada.request('GET', '/api/users/mia/tokens'), 403, 'FORBIDDEN');
    expectProblem(await people.mia.request('GET', '/api/users/mia/tokens'), 403, 'FORBIDDEN');
    expectProblem(await people.mia.write('DELETE', `/api/users/mia/tokens/${lost.body.id}`), 403, 'FORBIDDEN');
    // A token is found under its own person only, and unknown people are 404.
    expectProblem(await olivia.write('DELETE', `/api/users/ada/tokens/${lost.body.id}`), 404, 'TOKEN_NOT_FOUND');
    expectProblem(await olivia.request('GET', '/api/users/nobody/tokens'), 404, 'USER_NOT_FOUND');
    expect((await lostToken('GET', '/api/me')).status).toBe(200);

    expect((await olivia.write('DELETE', `/api/users/mia/tokens/${lost.body.id}`)).status).toBe(204);
    expectProblem(await lostToken('GET', '/api/me'), 401, 'INVALID_TOKEN');
    expect(kept(await people.mia.request('GET', `/api/me/tokens/${lost.body.id}`)).body.status).toBe('revoked');
    const revocation = (await allEvents(gh, '&type=PersonalAccessTokenRevoked')).find((event) => event.data.tokenId === lost.body.id);
    expect(revocation?.metadata.actor).toBe(`user:olivia/${ids.olivia}`);
  });

  it('never shows or stores a token: not in the log, the read model, the logs or any answer', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(5);
    const log = JSON.stringify(await allEvents(gh));
    const stored = JSON.stringify(gh.sql.all('SELECT * FROM events')) + JSON.stringify(gh.sql.all('SELECT * FROM personal_access_tokens'));
    const files = [gh.app.config.database, `${gh.app.config.database}-wal`].filter((file) => existsSync(file));
    const database = files.map((file) => readFileSync(file).toString('latin1')).join('');
    const lines = logLines.join('');
    expect(lines).toContain('/api/me/tokens');
    for (const token of issued) {
      const secret = token.slice(4);
      for (const [where, text] of Object.entries({ log, stored, database, lines, responses: responses.join('\n') })) {
        expect({ where, found: text.includes(secret) }).toEqual({ where, found: false });
      }
    }
  });
});
