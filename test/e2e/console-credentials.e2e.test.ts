import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { fixtureServer, startHttpServer, type RunningHttpServer } from '../fixtures/upstream-fixtures';
import { describeInBrowser, launchChromium, openAdminPage, screenshot, watchPage } from '../support/browser';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { startAuthorizationServer, startProtectedMcpServer } from '../support/oauth-fixtures';
import { SessionClient } from '../support/session-client';

const PASSWORD = 'ann password for the console';
const TOKEN = 'ann-console-upstream-token-6b1e9d2c';
const ENV_VALUE = 'ann-console-env-value-3f8a1c7e';
const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');
type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };

/** A member sets their own credentials for a per_user server in the console, and their MCP calls then carry them. */
describeInBrowser('the console: per-user credentials')('the console: a member\'s own credentials for a per_user server, in a real browser', () => {
  let gh: TestGatehouse;
  let upstream: RunningHttpServer;
  let as: RunningHttpServer;
  let guardedUpstream: RunningHttpServer;
  let browser: Browser;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;
  let client: Client;
  const call = async (): Promise<ToolResult> => (await client.callTool({ name: 'remote__whoami', arguments: {} })) as ToolResult;

  beforeAll(async () => {
    upstream = await startHttpServer([fixtureServer('whoami-server.js')]);
    gh = await startTestGatehouse();
    const remote = { name: 'remote', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp`, credentials: 'per_user' };
    expect((await gh.api('POST', '/api/servers', remote)).status).toBe(201);
    expect((await gh.api('POST', '/api/profiles', { slug: 'team' })).status).toBe(201);
    expect((await gh.api('PUT', '/api/profiles/team/servers/remote', { status: 'active' })).status).toBeLessThan(300);
    const shared = { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] };
    expect((await gh.api('PUT', '/api/servers/remote/access', shared)).status).toBe(200);
    // An upstream that does OAuth (protected resource metadata naming an authorization server).
    as = await startAuthorizationServer(3600);
    guardedUpstream = await startProtectedMcpServer(as.baseUrl);
    const guarded = { name: 'guarded', transport: 'streamable_http', url: `${guardedUpstream.baseUrl}/mcp`, credentials: 'per_user' };
    expect((await gh.api('POST', '/api/servers', guarded)).status).toBe(201);
    expect((await gh.api('PUT', '/api/servers/guarded/access', shared)).status).toBe(200);
    expect((await gh.api('PUT', '/api/profiles/team/access', shared)).status).toBe(200);
    expect((await gh.api('POST', '/api/users', { name: 'ann', role: 'member', password: PASSWORD })).status).toBe(201);
    const ann = new SessionClient(gh.url);
    expect((await ann.signIn('ann', PASSWORD)).status).toBe(201);
    const key = await ann.write('POST', '/api/keys', { name: 'ann laptop', profiles: ['team'] });
    expect(key.status).toBe(201);
    client = await connectClient(gh.url, 'team', { key: key.body.key });

    browser = await launchChromium();
    page = await browser.newPage();
    watched = watchPage(page, gh.url);
    await page.goto(`${gh.url}/signin`);
    await page.getByLabel('User name').fill('ann');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await client?.close();
    await gh?.stop();
    await upstream?.stop();
    await guardedUpstream?.stop();
    await as?.stop();
  });
  afterEach(() => {
    expect(watched.errors.splice(0)).toEqual([]);
    expect(watched.outside.splice(0)).toEqual([]);
  });

  /** The note a server's page shows while no tools are known. */
  const noToolsYet = async (on: Page): Promise<string | null> => {
    const note = on.locator('p', { hasText: 'No tools known yet' });
    await note.waitFor({ timeout: 15_000 });
    return note.textContent();
  };
  const credentials = () => page.getByRole('region', { name: 'Your credentials' });
  const setNames = (): Promise<string[]> =>
    credentials().locator('tr[data-credential]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-credential') ?? ''));

  it('saves the member\'s bearer token and env values through the form; the MCP call then reaches the upstream with that token', async () => {
    // Before: no credentials, so the tool answers with an error that says how to set them.
    const before = await call();
    expect(before.isError).toBe(true);
    expect(before.content[0].text).toContain('PUT /api/servers/remote/credentials');

    // The list says the server takes each user's own credentials and that ann has set none: no
    // shared connection status, and not the server's own OAuth status (its grant is never sent).
    await page.goto(`${gh.url}/servers`);
    const listed = page.locator('tr', { has: page.getByRole('link', { name: 'remote', exact: true }) });
    await listed.locator('[data-credentials="unset"]').waitFor({ timeout: 15_000 });
    expect(await listed.locator('td').nth(2).textContent()).toBe('per-user credentials yours not set');

    await page.goto(`${gh.url}/servers/remote`);
    await credentials().getByText('bearer token: not set').waitFor({ timeout: 15_000 });
    await credentials().getByText('None set').waitFor();
    // No OAuth grant either, and none is offered: this upstream publishes no OAuth metadata, so
    // the page points to what applies (the form below) instead of a button the API would refuse.
    const oauth = credentials().getByRole('group', { name: 'Your OAuth grant' });
    await oauth.getByText('OAuth grant: none').waitFor();
    await oauth.locator('[data-oauth-unavailable]').waitFor();
    expect(await oauth.textContent()).toContain('set your bearer token or environment variables below');
    expect(await oauth.getByRole('button').count()).toBe(0);
    expect(page.url()).toBe(`${gh.url}/servers/remote`);
    const titleRow = page.locator('.title-row', { has: page.getByRole('heading', { name: 'remote' }) });
    await titleRow.locator('[data-credentials="unset"]').waitFor();
    expect(await titleRow.textContent()).not.toContain('not_authorized');
    const form = page.getByRole('form', { name: 'Set your credentials' });
    // The API's refusal is shown as it is: an empty set is 400.
    await form.getByRole('button', { name: 'Save credentials' }).click();
    await form.getByRole('alert').waitFor();
    expect(await form.getByRole('alert').textContent()).toMatch(/\S/);

    const tokenInput = form.getByLabel('Bearer token');
    expect(await tokenInput.getAttribute('type')).toBe('password');
    await tokenInput.fill(TOKEN);
    await form.getByRole('button', { name: 'Add variable' }).click();
    await form.getByLabel('Name of variable 1').fill('EXTRA_SETTING');
    const valueInput = form.getByLabel('Value of variable 1');
    expect(await valueInput.getAttribute('type')).toBe('password');
    await valueInput.fill(ENV_VALUE);
    await form.getByRole('button', { name: 'Save credentials' }).click();
    await credentials().getByText('bearer token: set', { exact: true }).waitFor({ timeout: 10_000 });
    expect(await setNames()).toEqual(['bearer token', 'EXTRA_SETTING']);
    // The values are never shown back: not in the page, not in the (emptied) inputs.
    expect(await tokenInput.inputValue()).toBe('');
    expect(await form.getByLabel('Value of variable 1').count()).toBe(0);
    const html = await page.content();
    expect(html).not.toContain(TOKEN);
    expect(html).not.toContain(ENV_VALUE);

    // A real MCP call with ann's own key reaches the fixture with the token saved in the form.
    const after = await call();
    expect(after.isError).toBeFalsy();
    expect(JSON.parse(after.content[0].text)).toEqual({ tokenSha256: sha256(TOKEN) });
    await titleRow.locator('[data-credentials="set"]').getByText('yours set').waitFor({ timeout: 10_000 });
    await screenshot(page, 'console-credentials-set');
    await page.goto(`${gh.url}/servers`);
    await listed.locator('[data-credentials="set"]').waitFor({ timeout: 15_000 });
    expect(await listed.locator('td').nth(2).textContent()).toBe('per-user credentials yours set');
  }, 60_000);

  it('offers OAuth on a per_user server whose upstream does OAuth, and the button leads to its authorization server', async () => {
    await page.goto(`${gh.url}/servers/guarded`);
    const oauth = credentials().getByRole('group', { name: 'Your OAuth grant' });
    await oauth.getByText('OAuth grant: none').waitFor({ timeout: 15_000 });
    // No tools known yet, and no "button above" for a member, who has none.
    expect(await noToolsYet(page)).toBe('No tools known yet: they are recorded when a client of a profile with this server lists them.');
    const button = oauth.getByRole('button', { name: 'Authorize with OAuth' });
    await button.waitFor();
    expect(await oauth.locator('[data-oauth-unavailable]').count()).toBe(0);
    await button.click();
    await page.waitForURL((url) => url.href.startsWith(`${as.baseUrl}/`), { timeout: 15_000 });
    // Leaving for the authorization server (its authorization endpoint, then its login page) is
    // all that went outside Gatehouse, and the first request is the authorization request.
    await page.waitForLoadState();
    const left = watched.outside.splice(0);
    expect(left.every((url) => url.startsWith(`${as.baseUrl}/`))).toBe(true);
    expect(new URL(left[0]).searchParams.get('code_challenge_method')).toBe('S256');
  }, 60_000);

  it('lets an admin declare a server\'s headers secret in its form; a declared plain-looking header then stays off the user\'s connection', async () => {
    const { page: admin, watched: adminWatch } = await openAdminPage(browser, gh.url);
    await admin.goto(`${gh.url}/servers/remote`);
    await admin.getByRole('button', { name: 'Edit', exact: true }).click();
    const headerValue = 'northwind-042-orchard';
    await admin.getByLabel(/^Headers/).fill(`X-Customer: ${headerValue}`);
    const box = admin.getByLabel('Headers are credentials: never sent on a per-user connection');
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await admin.getByRole('button', { name: 'Save server' }).click();
    await admin.getByRole('button', { name: 'Edit', exact: true }).waitFor({ timeout: 15_000 });
    const read = await gh.api('GET', '/api/servers/remote');
    expect(read.body.headersSecret).toEqual(['X-Customer']);
    expect(await admin.content()).not.toContain(headerValue);
    // The form opens again with the box checked: every header is declared secret.
    await admin.getByRole('button', { name: 'Edit', exact: true }).click();
    expect(await admin.getByLabel('Headers are credentials: never sent on a per-user connection').isChecked()).toBe(true);
    await admin.close();
    expect(adminWatch.errors).toEqual([]);
    expect(adminWatch.outside).toEqual([]);
    // ann's call carries her token and no X- header: the fixture would list x-customer.
    const after = await call();
    expect(after.isError).toBeFalsy();
    expect(JSON.parse(after.content[0].text)).toEqual({ tokenSha256: sha256(TOKEN) });
    expect((await gh.api('PATCH', '/api/servers/remote', { headers: {} })).status).toBe(200);
  }, 60_000);

  it('shows a member no tool definition history (that route is the admins\')', async () => {
    // The call above recorded the server's tools; a member sees them, without the history button.
    await page.goto(`${gh.url}/servers/remote`);
    await page.locator('li[data-tool="whoami"]').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: /definition history/ }).count()).toBe(0);
    await page.goto(`${gh.url}/servers/remote?tool=whoami`);
    await page.locator('li[data-tool="whoami"]').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('region', { name: /^Definition history/ }).count()).toBe(0);

    // The admin token sees the history button, and a note instead of a credentials form.
    const { page: admin, watched: adminWatch } = await openAdminPage(browser, gh.url);
    await admin.goto(`${gh.url}/servers/remote`);
    await admin.getByRole('button', { name: 'Show definition history of whoami' }).waitFor({ timeout: 15_000 });
    // What a member is not offered, the admin token is (the member's test below checks their absence).
    for (const name of ['Edit', 'Remove', 'Connect and list tools']) expect(await admin.getByRole('button', { name, exact: true }).count()).toBe(1);
    expect(await admin.locator('.title-row').first().textContent()).toBe('remoteper-user credentials');
    await admin.getByRole('region', { name: 'Your credentials' }).getByText('The admin token is no user').waitFor();
    expect(await admin.getByRole('form', { name: 'Set your credentials' }).count()).toBe(0);
    // A server with no tools known yet: the admin is pointed at the button it has.
    await admin.goto(`${gh.url}/servers/guarded`);
    expect(await noToolsYet(admin)).toBe('No tools known yet: they are recorded when a client (or the Connect and list tools button above) lists them.');
    await admin.getByRole('button', { name: 'Connect and list tools', exact: true }).waitFor();
    await admin.close();
    expect(adminWatch.errors).toEqual([]);
    expect(adminWatch.outside).toEqual([]);
  }, 60_000);

  it('offers a member only what its role allows: no edits of servers or profiles, its own keys to revoke', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await page.goto(`${gh.url}/servers`);
    await page.getByRole('link', { name: 'remote', exact: true }).waitFor({ timeout: 15_000 });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Servers', 'Profiles', 'Keys']);
    expect(await page.getByRole('button', { name: 'Add server' }).count()).toBe(0);

    await page.goto(`${gh.url}/servers/remote`);
    await page.locator('li[data-tool="whoami"]').waitFor({ timeout: 15_000 });
    for (const name of ['Edit', 'Remove', 'Connect (OAuth)', 'Connect and list tools']) expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
    expect(await page.getByRole('main').getByRole('link', { name: 'History' }).count()).toBe(0);

    await page.goto(`${gh.url}/profiles`);
    await page.getByRole('link', { name: 'team' }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('form', { name: 'New profile' }).count()).toBe(0);

    // The profile reads as it is: its servers, prefix and tools, with nothing to change.
    await page.goto(`${gh.url}/profiles/team`);
    const tool = page.locator('tr[data-tool="remote__whoami"]');
    await tool.waitFor({ timeout: 15_000 });
    await page.getByText('Tool name prefix: always').waitFor();
    for (const name of ['Pause', 'Detach', 'Attach', 'Clone', /^Hide selected/, /^Show selected/]) expect(await page.getByRole('button', { name }).count()).toBe(0);
    expect(await page.getByRole('main').getByRole('link', { name: 'History' }).count()).toBe(0);
    expect(await page.locator('table.tool-table input').count()).toBe(0);
    expect(await tool.locator('td').first().textContent()).toBe('remote__whoami');

    // A link to a screen that is not hers says so instead of showing the API's refusals.
    await page.goto(`${gh.url}/history`);
    await page.getByText('Only owners and admins see this screen.').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('alert').count()).toBe(0);

    // Keys: ann's own, which she may revoke.
    await page.goto(`${gh.url}/keys`);
    await page.getByRole('button', { name: 'Revoke ann laptop' }).waitFor({ timeout: 15_000 });
    await screenshot(page, 'console-member-keys');
  }, 60_000);

  it('removes the member\'s credentials after a confirmation; the next call is refused again', async () => {
    await page.goto(`${gh.url}/servers/remote`);
    await credentials().getByText('bearer token: set', { exact: true }).waitFor({ timeout: 15_000 });
    await credentials().getByRole('button', { name: 'Remove my credentials' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove your credentials for remote?' });
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await credentials().getByText('bearer token: not set').waitFor({ timeout: 10_000 });
    expect(await setNames()).toEqual([]);
    expect(await page.getByRole('dialog').count()).toBe(0);
    const refused = await call();
    expect(refused.isError).toBe(true);
    expect(refused.content[0].text).toContain('PUT /api/servers/remote/credentials');
  }, 60_000);
});
