import type { Browser, Page } from 'playwright-core';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { describeInBrowser, launchChromium, screenshot, watchPage } from '../support/browser';
import { EVERYTHING_SERVER } from '../support/mcp-client';
import { expectProblem } from '../support/problem';

const parsed = async (pending: Promise<Response>) => {
  const response = await pending;
  return { status: response.status, headers: response.headers, body: await response.json() };
};

/** The web console at `/`: served by the gateway (built by `npm run build`), driven in Debian's Chromium. */
describe('the console is served without shadowing anything', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
  });
  afterAll(async () => gh?.stop());

  it('serves index.html with a strict CSP for every deep link, and its hashed assets', async () => {
    for (const path of ['/', '/signin', '/servers', '/servers/everything', '/profiles/dev', '/history', '/keys', '/traffic', '/import']) {
      const response = await fetch(`${gh.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await response.text();
      expect(html).toContain('<div id="root">');
      // No inline script: the CSP would block it.
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    }
    const html = await (await fetch(`${gh.url}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${gh.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('leaves /api, /mcp, /openapi and unknown paths to their owners', async () => {
    await expectProblem(await parsed(fetch(`${gh.url}/api/servers`)), 401, 'UNAUTHENTICATED');
    await expectProblem(await parsed(fetch(`${gh.url}/api/nothing-here`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })), 404);
    await expectProblem(await parsed(fetch(`${gh.url}/openapi/nope/openapi.json`)), 404, 'PROFILE_NOT_FOUND');
    expect((await fetch(`${gh.url}/mcp/nope`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' })).headers.get('content-type')).not.toMatch(/^text\/html/);
    await expectProblem(await parsed(fetch(`${gh.url}/no-such-page`)), 404, 'ROUTE_NOT_FOUND');
    await expectProblem(await parsed(fetch(`${gh.url}/assets/..%2Fpackage.json`)), 404, 'NOT_FOUND');
    await expectProblem(await parsed(fetch(`${gh.url}/assets/nothing.js`)), 404, 'NOT_FOUND');
  });
});

describeInBrowser('the web console')('the web console in a real browser', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;

  beforeAll(async () => {
    gh = await startTestGatehouse();
    browser = await launchChromium();
    page = await browser.newPage();
    watched = watchPage(page, gh.url);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gh?.stop();
  });
  afterEach(() => {
    // Emptied as they are checked: each test answers for its own.
    expect(watched.errors.splice(0)).toEqual([]);
    expect(watched.outside.splice(0)).toEqual([]);
  });

  it('asks for the admin token on a deep link, refuses a wrong one, and lands on the deep link', async () => {
    await page.goto(`${gh.url}/servers`);
    await page.getByLabel('Admin token').waitFor();
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('That admin token is not valid.').waitFor();
    await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/servers');
    // The token lives in this tab's session storage only.
    expect(await page.evaluate<string>('JSON.stringify({ ...localStorage }) + document.cookie')).not.toContain(TEST_ADMIN_TOKEN);
  }, 30_000);

  it('shows the API field errors of an invalid server and creates nothing', async () => {
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('form', { name: 'Add server' });
    await form.getByLabel('Name', { exact: true }).fill('bad__name');
    await form.getByLabel('Command').fill(process.execPath);
    await form.getByRole('button', { name: 'Add server' }).click();
    await form.getByRole('alert').first().waitFor();
    expect(await form.getByRole('alert').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('__')]));
    expect((await gh.api('GET', '/api/servers')).body.servers).toEqual([]);
    await page.getByRole('button', { name: 'Cancel' }).click();
  }, 30_000);

  it('adds server-everything by node <path> with a secret env value, shows it masked, ready, with its tools', async () => {
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('form', { name: 'Add server' });
    await form.getByLabel('Name', { exact: true }).fill('everything');
    await form.getByLabel('Description').fill('The reference server');
    await form.getByLabel('Command').fill(process.execPath);
    await form.getByLabel('Arguments (one per line)').fill(EVERYTHING_SERVER);
    await form.getByLabel('Environment (NAME=value per line)').fill('EVERYTHING_TOKEN=sk-very-secret-value-1234');
    await form.getByRole('button', { name: 'Add server' }).click();
    await page.getByRole('heading', { name: 'everything' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/servers/everything');
    await page.getByText('EVERYTHING_TOKEN=••••1234').waitFor();
    expect(await page.content()).not.toContain('sk-very-secret-value');
    await page.getByRole('button', { name: 'Connect and list tools' }).click();
    await page.getByText('echo', { exact: true }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'console-server');

    await page.getByRole('link', { name: '← Servers' }).click();
    const row = page.getByRole('row', { name: /everything/ });
    await row.waitFor();
    await row.getByText('ready').waitFor({ timeout: 20_000 });
    await screenshot(page, 'console-servers');
  }, 60_000);

  it('shows a change made elsewhere without a reload (the events stream)', async () => {
    await page.goto(`${gh.url}/servers`);
    await page.getByRole('row', { name: /everything/ }).waitFor();
    expect((await gh.api('PATCH', '/api/servers/everything', { description: 'Changed through the API' })).status).toBe(200);
    await page.getByText('Changed through the API').waitFor({ timeout: 10_000 });
  }, 30_000);
});
