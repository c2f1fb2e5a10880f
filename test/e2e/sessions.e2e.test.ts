import { eventCount } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';
import { SessionClient } from '../support/session-client';

jest.setTimeout(120_000);

const OWNER_PASSWORD = 'owner password 0123';
const BOB_PASSWORD = 'bob password 456789';

describe('browser sign-in: sessions, CSRF, lockout, /api/me', () => {
  let gh: TestGatehouse;
  const lines: string[] = [];
  const browser = (): SessionClient => new SessionClient(gh.url);

  beforeAll(async () => {
    gh = await startTestGatehouse({}, { write: (line) => void lines.push(line) });
    expect((await gh.api('POST', '/api/users', { name: 'olivia', role: 'owner', password: OWNER_PASSWORD })).status).toBe(201);
    expect((await gh.api('POST', '/api/users', { name: 'bob', role: 'admin', password: BOB_PASSWORD })).status).toBe(201);
    expect((await gh.api('POST', '/api/users', { name: 'mia', role: 'member', password: 'member password 1' })).status).toBe(201);
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('signs in with an HttpOnly, SameSite=Strict session cookie and answers /api/me', async () => {
    const olivia = browser();
    const signedIn = await olivia.signIn('olivia', OWNER_PASSWORD);
    expect(signedIn.status).toBe(201);
    expect(signedIn.body).toEqual({ user: expect.objectContaining({ name: 'olivia', role: 'owner', status: 'enabled' }), csrfToken: expect.any(String), expiresAt: expect.any(String) });
    expect(JSON.stringify(signedIn.body)).not.toMatch(/scrypt|password/i);
    const [cookie] = signedIn.headers.getSetCookie();
    expect(cookie).toMatch(/^gatehouse_session=ghs_[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const me = await olivia.request('GET', '/api/me');
    expect(me.body).toEqual(expect.objectContaining({ kind: 'user', via: 'session', name: 'olivia', role: 'owner', csrfToken: signedIn.body.csrfToken }));
    // The session token is stored only as a hash.
    const token = olivia.cookies.get('gatehouse_session') as string;
    const stored = gh.sql.all<Record<string, string>>('SELECT * FROM user_sessions');
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('refuses a cookie-authenticated write without the CSRF token, and records the user as the actor with it', async () => {
    const olivia = browser();
    await olivia.signIn('olivia', OWNER_PASSWORD);
    const before = eventCount(gh);
    expectProblem(await olivia.request('POST', '/api/profiles', { slug: 'no-csrf' }), 403, 'CSRF_TOKEN_INVALID');
    expectProblem(await olivia.request('POST', '/api/profiles', { slug: 'no-csrf' }, { 'x-csrf-token': 'forged' }), 403, 'CSRF_TOKEN_INVALID');
    expect(eventCount(gh)).toBe(before);
    const created = await olivia.write('POST', '/api/profiles', { slug: 'with-csrf' });
    expect(created.status).toBe(201);
    const events = await gh.api('GET', '/api/events?type=ProfileCreated');
    const me = await olivia.request('GET', '/api/me');
    expect(events.body.events.at(-1).metadata.actor).toBe(`user:olivia/${me.body.id}`);
  });

  it('answers a wrong password and an unknown name alike, in comparable time', async () => {
    const attempt = async (name: string, password: string): Promise<{ ms: number; body: unknown; status: number }> => {
      const started = performance.now();
      const response = await browser().signIn(name, password);
      return { ms: performance.now() - started, body: response.body, status: response.status };
    };
    // Interleaved, so a change in the machine's load falls on both kinds alike.
    const wrong: Awaited<ReturnType<typeof attempt>>[] = [];
    const unknown: Awaited<ReturnType<typeof attempt>>[] = [];
    for (let i = 1; i <= 3; i += 1) {
      wrong.push(await attempt('bob', 'not the password'));
      unknown.push(await attempt(`nobody-${i}`, 'not the password'));
    }
    for (const outcome of [...wrong, ...unknown]) {
      expect(outcome.status).toBe(401);
      expect(outcome.body).toEqual(wrong[0].body);
    }
    expect(wrong[0].body).toMatchObject({ code: 'INVALID_CREDENTIALS', detail: 'Wrong name or password' });
    // Both run one scrypt: an unknown name must not answer in a fraction of a wrong password's time.
    const fastest = (outcomes: { ms: number }[]): number => Math.min(...outcomes.map((o) => o.ms));
    expect(fastest(unknown)).toBeGreaterThan(fastest(wrong) / 3);
  });

  it('locks a name after 5 failures, even for the right password, without telling whether the name exists', async () => {
    for (let i = 0; i < 5; i += 1) expect((await browser().signIn('mia', 'wrong wrong wrong')).status).toBe(401);
    const locked = await browser().signIn('mia', 'member password 1');
    expectProblem(locked, 429, 'TOO_MANY_SIGN_IN_ATTEMPTS');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another name from the same address still signs in.
    expect((await browser().signIn('bob', BOB_PASSWORD)).status).toBe(201);
  });

  it('refuses a disabled user\'s live session within a second', async () => {
    const bob = browser();
    expect((await bob.signIn('bob', BOB_PASSWORD)).status).toBe(201);
    expect((await bob.request('GET', '/api/me')).status).toBe(200);
    expect((await gh.api('PATCH', '/api/users/bob', { status: 'disabled' })).status).toBe(200);
    const started = Date.now();
    expectProblem(await bob.request('GET', '/api/me'), 401, 'SESSION_EXPIRED');
    expect(Date.now() - started).toBeLessThan(1000);
    expectProblem(await browser().signIn('bob', BOB_PASSWORD), 401, 'INVALID_CREDENTIALS');
    expect((await gh.api('PATCH', '/api/users/bob', { status: 'enabled' })).status).toBe(200);
    // Disabling ended the session for good; signing in again works.
    expectProblem(await bob.request('GET', '/api/me'), 401, 'SESSION_EXPIRED');
    expect((await bob.signIn('bob', BOB_PASSWORD)).status).toBe(201);
  });

  it('enforces roles: only the owner manages users, an admin reads them and manages profiles, a member sees no users', async () => {
    const bob = browser();
    await bob.signIn('bob', BOB_PASSWORD);
    const listed = await bob.request('GET', '/api/users');
    expect(listed.status).toBe(200);
    expect(listed.body.users.map((u: { name: string; role: string; status: string }) => [u.name, u.role, u.status])).toEqual([
      ['olivia', 'owner', 'enabled'],
      ['bob', 'admin', 'enabled'],
      ['mia', 'member', 'enabled'],
    ]);
    expect(JSON.stringify(listed.body)).not.toMatch(/password|hash|salt/i);
    expect((await bob.request('GET', '/api/users/mia')).body).toMatchObject({ name: 'mia', role: 'member', createdAt: expect.any(String) });
    const before = eventCount(gh);
    expectProblem(await bob.write('POST', '/api/users', { name: 'eve', role: 'owner', password: 'eve password 123' }), 403, 'FORBIDDEN');
    expectProblem(await bob.write('PATCH', '/api/users/mia', { role: 'admin' }), 403, 'FORBIDDEN');
    expectProblem(await bob.write('PATCH', '/api/users/mia', { status: 'disabled' }), 403, 'FORBIDDEN');
    expectProblem(await bob.write('PATCH', '/api/users/mia', { password: 'a new password 42' }), 403, 'FORBIDDEN');
    expectProblem(await bob.write('PATCH', '/api/users/bob', { role: 'owner' }), 403, 'FORBIDDEN');
    expect(eventCount(gh)).toBe(before);
    // A member (mia is locked out by the test before: another one).
    expect((await gh.api('POST', '/api/users', { name: 'kim', role: 'member', password: 'kim password 1234' })).status).toBe(201);
    const kim = browser();
    expect((await kim.signIn('kim', 'kim password 1234')).status).toBe(201);
    expectProblem(await kim.request('GET', '/api/users'), 403, 'FORBIDDEN');
    expectProblem(await kim.request('GET', '/api/users/kim'), 403, 'FORBIDDEN');
    expect((await bob.write('POST', '/api/profiles', { slug: 'bobs' })).status).toBe(201);
    const olivia = browser();
    await olivia.signIn('olivia', OWNER_PASSWORD);
    expect((await olivia.request('GET', '/api/users')).body.users.map((u: { name: string }) => u.name)).toEqual(['olivia', 'bob', 'mia', 'kim']);
  });

  it('signs out: the cookie is cleared and the old token opens nothing', async () => {
    const olivia = browser();
    await olivia.signIn('olivia', OWNER_PASSWORD);
    const token = olivia.cookies.get('gatehouse_session') as string;
    expectProblem(await olivia.request('DELETE', '/api/session'), 403, 'CSRF_TOKEN_INVALID');
    const out = await olivia.write('DELETE', '/api/session');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(/^gatehouse_session=; Path=\/; Max-Age=0;/);
    const replay = await fetch(`${gh.url}/api/me`, { headers: { cookie: `gatehouse_session=${token}` } });
    expect(replay.status).toBe(401);
    expectProblem(await olivia.request('GET', '/api/me'), 401, 'UNAUTHENTICATED');
  });

  it('changes one\'s own password after checking the current one, ending the other sessions', async () => {
    const first = browser();
    const second = browser();
    await first.signIn('olivia', OWNER_PASSWORD);
    await second.signIn('olivia', OWNER_PASSWORD);
    expectProblem(await first.write('PUT', '/api/me/password', { currentPassword: 'not it at all', newPassword: 'a new password 42' }), 400, 'WRONG_PASSWORD');
    expectProblem(await first.write('PUT', '/api/me/password', { currentPassword: OWNER_PASSWORD, newPassword: 'short' }), 400, 'INVALID_ARGUMENT');
    expect((await first.write('PUT', '/api/me/password', { currentPassword: OWNER_PASSWORD, newPassword: 'a new password 42' })).status).toBe(204);
    expect((await first.request('GET', '/api/me')).status).toBe(200);
    expect((await second.request('GET', '/api/me')).status).toBe(401);
    expect((await browser().signIn('olivia', 'a new password 42')).status).toBe(201);
    expectProblem(await gh.api('PUT', '/api/me/password', { currentPassword: 'x', newPassword: 'y' }), 409, 'NOT_A_USER');
  });

  it('keeps the admin token working, and shows it on /api/me', async () => {
    expect((await gh.api('GET', '/api/me')).body).toEqual({ kind: 'admin', actor: 'admin' });
    expect((await gh.api('GET', '/api/users')).status).toBe(200);
  });

  it.each<[string, unknown, number, string]>([
    ['a body that is no JSON', '{"name":', 400, 'INVALID_JSON'],
    ['a missing password', { name: 'bob' }, 400, 'VALIDATION_FAILED'],
    ['a name that is a number', { name: 42, password: 'x' }, 400, 'VALIDATION_FAILED'],
    ['an extra field', { name: 'bob', password: 'x', role: 'owner' }, 400, 'VALIDATION_FAILED'],
    ['a password over 1024 characters', { name: 'bob', password: 'x'.repeat(1025) }, 400, 'VALIDATION_FAILED'],
    ['an array', [], 400, 'VALIDATION_FAILED'],
  ])('refuses a sign-in with %s', async (_, body, status, code) => {
    const response = await browser().request('POST', '/api/session', body);
    expectProblem(response, status, code);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it.each<[string, Record<string, string>]>([
    ['a cookie that was never issued', { cookie: 'gatehouse_session=ghs_forged' }],
    ['a cookie of another shape', { cookie: 'gatehouse_session=%00%ff' }],
    ['a malformed bearer header', { authorization: 'Token abc' }],
  ])('refuses %s with 401', async (_, headers) => {
    expect((await fetch(`${gh.url}/api/me`, { headers })).status).toBe(401);
  });

  it('refuses to create users with bad input, changing nothing', async () => {
    const before = eventCount(gh);
    expectProblem(await gh.api('POST', '/api/users', { name: 'Bad Name', role: 'member', password: 'long enough pass' }), 400, 'INVALID_ARGUMENT');
    expectProblem(await gh.api('POST', '/api/users', { name: 'zed', role: 'root', password: 'long enough pass' }), 400, 'VALIDATION_FAILED');
    expectProblem(await gh.api('POST', '/api/users', { name: 'zed', role: 'member', password: 'short' }), 400, 'INVALID_ARGUMENT');
    expectProblem(await gh.api('POST', '/api/users', { name: 'bob', role: 'member', password: 'long enough pass' }), 409, 'USER_NAME_TAKEN');
    expectProblem(await gh.api('PATCH', '/api/users/olivia', { role: 'member' }), 409, 'LAST_OWNER');
    expectProblem(await gh.api('PATCH', '/api/users/nobody', { role: 'member' }), 404, 'USER_NOT_FOUND');
    expect(eventCount(gh)).toBe(before);
  });

  it('never logs a password, a session token or a CSRF token', async () => {
    const olivia = browser();
    await olivia.signIn('olivia', 'a new password 42');
    await olivia.request('GET', '/api/me');
    const logged = lines.join('\n');
    for (const secret of [OWNER_PASSWORD, BOB_PASSWORD, 'a new password 42', olivia.cookies.get('gatehouse_session') as string, olivia.csrfToken as string]) {
      expect(logged).not.toContain(secret);
    }
    const stored = gh.sql.all<{ data: string }>('SELECT data FROM events');
    expect(JSON.stringify(stored)).not.toContain(OWNER_PASSWORD);
    const events = await gh.api('GET', '/api/events?type=UserRegistered');
    expect(JSON.stringify(events.body)).not.toContain('scrypt$');
  });
});
