import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupLinkOf, spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import type { ApiResponse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';
import { SessionClient } from '../support/session-client';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

jest.setTimeout(180_000);

const PASSWORD = 'the owners passphrase';

/** A browser's form post: urlencoded, with the Origin browsers add to every POST. */
const post = (client: SessionClient, path: string, fields: Record<string, string>, origin = client.baseUrl) =>
  client.request('POST', path, new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded', origin });

describe('the first-start setup link', () => {
  const dir = makeTempDir();
  const env = { GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY };
  let child: ChildGatehouse;
  let link: { setupUrl: string; expiresAt: string };
  let token: string;
  const adminApi = (path: string): Promise<ApiResponse> =>
    fetch(`${child.url}${path}`, { headers: { authorization: `Bearer ${readFileSync(join(dir.path, 'admin.token'), 'utf8').trim()}` } }).then(async (response) => ({ status: response.status, headers: response.headers, body: await response.json() }));
  const userCount = async (): Promise<number> => (await adminApi('/api/users')).body.users.length;

  beforeAll(async () => {
    child = await spawnGatehouse(env);
    link = await setupLinkOf(child);
    token = new URL(link.setupUrl).searchParams.get('token') as string;
  });
  afterAll(async () => {
    await child?.kill('SIGTERM');
    dir.cleanup();
  });

  it('prints a one-time link on the gateway\'s stdout when nobody has an account', async () => {
    expect(link.setupUrl).toMatch(new RegExp(`^${child.url}/setup\\?token=ghsu_[A-Za-z0-9_-]{43}$`));
    const lifetime = Date.parse(link.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(50 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(60 * 60_000);
    const page = await new SessionClient(child.url).request('GET', new URL(link.setupUrl).pathname + new URL(link.setupUrl).search);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.body).toContain('<form method="post" action="/setup">');
    expect(page.body).toContain(`name="token" value="${token}"`);
    expect(page.body).not.toContain('<script');
  });

  it('refuses bad input cleanly and creates nobody', async () => {
    const browser = new SessionClient(child.url);
    const good = { token, name: 'olivia', password: PASSWORD, password_confirm: PASSWORD };
    for (const path of ['/setup', '/setup?token=wrong', `/setup?token=${token}x`, `/setup?token=ghsu_${'A'.repeat(43)}`, `/setup?token=${token}&token=${token}`]) {
      const page = await browser.request('GET', path);
      expect([path, page.status]).toEqual([path, 404]);
      expect(page.body).toContain('This setup link does not work');
    }
    expect((await post(browser, '/setup', { ...good, token: 'ghsu_wrong' })).status).toBe(404);
    expect((await post(browser, '/setup', { name: 'olivia', password: PASSWORD })).status).toBe(404);
    const differ = await post(browser, '/setup', { ...good, password_confirm: `${PASSWORD}!` });
    expect(differ.status).toBe(400);
    expect(differ.body).toContain('The two passwords differ');
    expect(differ.body).toContain(`name="token" value="${token}"`);
    const short = await post(browser, '/setup', { ...good, password: 'short', password_confirm: 'short' });
    expect(short.status).toBe(400);
    expect(short.body).toContain('at least 12 characters');
    const badName = await post(browser, '/setup', { ...good, name: 'Olivia <b>' });
    expect(badName.status).toBe(400);
    expect(badName.body).toContain('value="Olivia &lt;b&gt;"');
    expectProblem(await post(browser, '/setup', good, 'https://evil.example'), 403, 'CROSS_ORIGIN_FORM');
    // The page takes forms only: a JSON body carries no field it reads, so no token either.
    expect((await browser.request('POST', '/setup', JSON.stringify(good), { 'content-type': 'application/json', origin: child.url })).status).toBe(404);
    expect(browser.cookies.size).toBe(0);
    expect(await userCount()).toBe(0);
  });

  it('makes the first person the owner, signed in, with the link as the event\'s actor', async () => {
    const browser = new SessionClient(child.url);
    const done = await post(browser, '/setup', { token, name: 'olivia', password: PASSWORD, password_confirm: PASSWORD });
    expect([done.status, done.headers.get('location')]).toEqual([303, '/login']);
    expect((await browser.request('GET', '/api/me')).body).toMatchObject({ name: 'olivia', role: 'owner', via: 'session' });
    const events = (await adminApi('/api/events?type=UserRegistered')).body.events;
    expect(events.map((event: { data: { name: string; role: string }; metadata: { actor: string } }) => [event.data.name, event.data.role, event.metadata.actor])).toEqual([['olivia', 'owner', 'setup-link']]);
    // And signs in later with the sign-in form, as anybody would.
    const later = new SessionClient(child.url);
    expect((await post(later, '/login', { name: 'olivia', password: PASSWORD, return_to: '/login' })).status).toBe(303);
    expect((await later.request('GET', '/api/me')).body).toMatchObject({ name: 'olivia', role: 'owner' });
  });

  it('is dead once the owner exists, and /setup says so', async () => {
    const browser = new SessionClient(child.url);
    const again = await browser.request('GET', `/setup?token=${token}`);
    expect(again.status).toBe(410);
    expect(again.body).toContain('already has its owner');
    expect((await browser.request('GET', '/setup')).status).toBe(410);
    const reuse = await post(browser, '/setup', { token, name: 'mallory', password: PASSWORD, password_confirm: PASSWORD });
    expect(reuse.status).toBe(410);
    expect(browser.cookies.size).toBe(0);
    expect(await userCount()).toBe(1);
  });

  it('writes the token in that one startup line only, and prints no link once somebody has an account', async () => {
    const output = child.output();
    expect(output).toContain('"path":"/setup"');
    expect(output.split(token.slice(5)).length - 1).toBe(1);
    expect(child.output().split('\n').filter((line) => line.includes('"setupUrl"'))).toHaveLength(1);
    expect(readFileSync(join(dir.path, 'gatehouse.db')).toString('latin1')).not.toContain(token.slice(5));
    await child.kill('SIGTERM');
    // The link would come before the "listening" line that spawnGatehouse waits for.
    child = await spawnGatehouse(env);
    expect(child.output()).toContain('admin token loaded');
    expect(child.output()).not.toContain('setupUrl');
    expect((await new SessionClient(child.url).request('GET', `/setup?token=${token}`)).status).toBe(410);
  });
});
