import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { SessionClient } from '../support/session-client';

jest.setTimeout(120_000);

const PASSWORD = 'page password 0123';

/** A browser's form post: urlencoded, with the Origin browsers add to every POST. */
const post = (client: SessionClient, path: string, fields: Record<string, string>, origin = client.baseUrl) =>
  client.request('POST', path, new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded', origin });

describe('the sign-in page', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
    expect((await gh.api('POST', '/api/users', { name: 'paula', role: 'member', password: PASSWORD })).status).toBe(201);
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('serves a form with no script under a strict CSP', async () => {
    const page = await new SessionClient(gh.url).request('GET', '/login?return_to=%2Fauthorize%3Fx%3D1');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(page.body).toContain('<form method="post" action="/login">');
    expect(page.body).toContain('name="return_to" value="/authorize?x=1"');
    expect(page.body).not.toContain('<script');
  });

  it('signs in with the form and goes back where it was sent from, then shows who is signed in', async () => {
    const browser = new SessionClient(gh.url);
    const signedIn = await post(browser, '/login', { name: 'paula', password: PASSWORD, return_to: '/login?from=consent' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/login?from=consent');
    expect(browser.cookies.get('gatehouse_session')).toMatch(/^ghs_/);
    const page = await browser.request('GET', '/login');
    expect(page.body).toContain('Signed in as <strong>paula</strong> (member).');
    const me = await browser.request('GET', '/api/me');
    expect(me.body).toMatchObject({ name: 'paula', via: 'session' });
    // Already signed in: the page forwards to return_to at once.
    const forward = await browser.request('GET', '/login?return_to=%2Fsomewhere');
    expect([forward.status, forward.headers.get('location')]).toEqual([302, '/somewhere']);
  });

  it.each(['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/ok\r\nSet-Cookie: x=1'])('never redirects off-site (return_to %j)', async (returnTo) => {
    const browser = new SessionClient(gh.url);
    const signedIn = await post(browser, '/login', { name: 'paula', password: PASSWORD, return_to: returnTo });
    expect([signedIn.status, signedIn.headers.get('location')]).toEqual([303, '/login']);
  });

  it('shows one message for a wrong password and an unknown name, escaped, with no cookie', async () => {
    for (const name of ['paula', '<b>nobody</b>']) {
      const browser = new SessionClient(gh.url);
      const page = await post(browser, '/login', { name, password: 'wrong password!', return_to: '/login' });
      expect(page.status).toBe(401);
      expect(page.body).toContain('<p role="alert" id="error">Wrong name or password</p>');
      expect(page.body).not.toContain('<b>nobody</b>');
      expect(browser.cookies.size).toBe(0);
    }
  });

  it('refuses a form posted from another origin (login CSRF)', async () => {
    const browser = new SessionClient(gh.url);
    const refused = await post(browser, '/login', { name: 'paula', password: PASSWORD }, 'https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'CROSS_ORIGIN_FORM' });
    expect(browser.cookies.size).toBe(0);
  });

  it('signs out with the form only with the page\'s CSRF token', async () => {
    const browser = new SessionClient(gh.url);
    await post(browser, '/login', { name: 'paula', password: PASSWORD });
    const page = await browser.request('GET', '/login');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] as string;
    expect((await post(browser, '/logout', { csrf_token: 'forged' })).status).toBe(403);
    expect((await browser.request('GET', '/api/me')).status).toBe(200);
    const out = await post(browser, '/logout', { csrf_token: csrf });
    expect([out.status, out.headers.get('location')]).toEqual([303, '/login']);
    expect((await browser.request('GET', '/api/me')).status).toBe(401);
  });
});
