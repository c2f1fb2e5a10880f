import type { Browser, Page } from 'playwright-core';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { describeInBrowser, launchChromium, screenshot, watchPage } from '../support/browser';
import { join } from 'node:path';
import { connectClient, EVERYTHING_SERVER, FIXTURES } from '../support/mcp-client';
import { issueKey, registerStdioServer, waitFor } from '../support/proxy';
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
    for (const path of ['/', '/signin', '/servers', '/servers/everything', '/profiles/dev', '/history', '/keys', '/users', '/traffic', '/import']) {
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

describe('POST /api/profiles/:slug/clone', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
  });
  afterAll(async () => gh?.stop());

  it('copies settings, links and tool settings under a new slug, and refuses bad input without appending', async () => {
    await registerStdioServer(gh, 'alpha', join(FIXTURES, 'hostile-server.js'));
    expect((await gh.api('POST', '/api/profiles', { slug: 'src', description: 'Source', toolPrefix: 'never' })).status).toBe(201);
    expect((await gh.api('PUT', '/api/profiles/src/servers/alpha', { status: 'inactive' })).status).toBe(201);
    expect((await gh.api('PATCH', '/api/profiles/src/tools/alpha/markup', { name: 'safe', status: 'inactive' })).status).toBe(200);

    const copy = await gh.api('POST', '/api/profiles/src/clone', { slug: 'copy', name: 'The copy' });
    expect(copy.status).toBe(201);
    expect(copy.headers.get('location')).toBe('/api/profiles/copy');
    expect(copy.body).toMatchObject({ slug: 'copy', name: 'The copy', description: 'Source', toolPrefix: 'never', servers: [{ name: 'alpha', status: 'inactive' }] });
    const tools = (await gh.api('GET', '/api/profiles/copy/tools')).body.tools;
    expect(tools).toEqual([expect.objectContaining({ exposedName: 'safe', toolStatus: 'inactive', overrides: expect.objectContaining({ name: 'safe' }) })]);
    const events = (await gh.api('GET', '/api/events?limit=1000')).body.events;
    const mine = events.filter((event: { streamId: string }) => event.streamId === `profile-${copy.body.id}`);
    expect(mine.map((event: { type: string }) => event.type)).toEqual(['ProfileCreated', 'ServerAttached', 'ToolStatusChanged', 'ToolOverridden']);
    expect(new Set(mine.map((event: { metadata: { correlationId: string } }) => event.metadata.correlationId)).size).toBe(1);

    const head = events.length;
    await expectProblem(await gh.api('POST', '/api/profiles/src/clone', { slug: 'copy' }), 409, 'PROFILE_SLUG_TAKEN');
    await expectProblem(await gh.api('POST', '/api/profiles/src/clone', { slug: 'Not A Slug' }), 400);
    await expectProblem(await gh.api('POST', '/api/profiles/src/clone', { slug: 'x', extra: 1 }), 400);
    await expectProblem(await gh.api('POST', '/api/profiles/src/clone', {}), 400);
    await expectProblem(await gh.api('POST', '/api/profiles/nope/clone', { slug: 'y' }), 404, 'PROFILE_NOT_FOUND');
    expect((await gh.api('GET', '/api/events?limit=1000')).body.events).toHaveLength(head);
  });
});

describe('GET /api/diff', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
  });
  afterAll(async () => gh?.stop());

  it('shows the configuration at two moments and what changed, for a profile, a server or everything, secrets masked', async () => {
    const start = (await gh.api('GET', '/api/events?limit=1000')).body.events.length;
    await registerStdioServer(gh, 'alpha', join(FIXTURES, 'hostile-server.js'), [], { env: { TOKEN: { value: 'sk-secret-9876', secret: true } } });
    expect((await gh.api('POST', '/api/profiles', { slug: 'dev' })).status).toBe(201);
    expect((await gh.api('PUT', '/api/profiles/dev/servers/alpha', { status: 'active' })).status).toBe(201);
    const before = (await gh.api('GET', '/api/events?limit=1000')).body.events.at(-1).position;
    expect((await gh.api('PATCH', '/api/profiles/dev/tools/alpha/markup', { status: 'inactive' })).status).toBe(200);
    expect((await gh.api('PATCH', '/api/servers/alpha', { description: 'Changed' })).status).toBe(200);

    const profile = await gh.api('GET', `/api/diff?from=${before}&profile=dev`);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ from: before, profile: 'dev', before: { servers: {} }, after: { servers: {} } });
    expect(profile.body.changes).toEqual([{ path: ['profiles', 'dev', 'tools', 'alpha/markup'], op: 'added', after: { status: 'inactive', override: {} } }]);

    const server = await gh.api('GET', `/api/diff?from=${before}&to=now&server=alpha`);
    expect(server.body.changes).toEqual([{ path: ['servers', 'alpha', 'description'], op: 'changed', before: null, after: 'Changed' }]);

    const all = await gh.api('GET', `/api/diff?from=${start}`);
    expect(all.body.changes.map((change: { path: string[]; op: string }) => `${change.op} ${change.path.join('.')}`)).toEqual(['added profiles.dev', 'added servers.alpha']);
    expect(all.body.after.servers.alpha.env.TOKEN).toMatch(/^••••/);
    expect(JSON.stringify(all.body)).not.toContain('sk-secret-9876');
    // Times work as well as positions; a reversed range shows the way back.
    const back = await gh.api('GET', `/api/diff?from=now&to=${before}&profile=dev`);
    expect(back.body.changes).toEqual([{ path: ['profiles', 'dev', 'tools', 'alpha/markup'], op: 'removed', before: { status: 'inactive', override: {} } }]);
    expect((await gh.api('GET', `/api/diff?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&profile=dev`)).body.changes).toEqual([]);
  });

  it('refuses bad input with a problem', async () => {
    await expectProblem(await gh.api('GET', '/api/diff'), 400, 'INVALID_QUERY');
    await expectProblem(await gh.api('GET', '/api/diff?from=yesterday'), 400, 'INVALID_AT');
    await expectProblem(await gh.api('GET', '/api/diff?from=1&profile=dev&server=alpha'), 400, 'INVALID_QUERY');
    await expectProblem(await gh.api('GET', '/api/diff?from=1&profile=nope'), 404, 'PROFILE_NOT_FOUND');
    await expectProblem(await gh.api('GET', '/api/diff?from=1&server=nope'), 404, 'SERVER_NOT_FOUND');
    await expectProblem(await gh.api('GET', '/api/diff?from=1&from=2'), 400);
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
    await page.getByText('Use the admin token instead').click();
    await page.getByRole('textbox', { name: /^Admin token/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.getByRole('textbox', { name: /^Admin token/ }).fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in with the token' }).click();
    await page.getByRole('alert').getByText('That admin token is not valid.').waitFor();
    await page.getByRole('textbox', { name: /^Admin token/ }).fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in with the token' }).click();
    await page.getByRole('heading', { name: 'Servers' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/servers');
    // The token lives in this tab's session storage only.
    expect(await page.evaluate<string>('JSON.stringify({ ...localStorage }) + document.cookie')).not.toContain(TEST_ADMIN_TOKEN);
  }, 30_000);

  it('links every screen; Users only for those who manage users', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Users' }).waitFor();
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Servers', 'Profiles', 'History', 'Keys', 'Traffic', 'Import / export', 'Users']);
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
  it('creates a profile, attaches the server, hides two tools found by a regex with one bulk action, renames one; an SDK client gets what the console shows', async () => {
    await page.getByRole('link', { name: 'Profiles' }).click();
    const form = page.getByRole('form', { name: 'New profile' });
    await form.getByLabel('Slug').fill('dev');
    await form.getByRole('button', { name: 'Create profile' }).click();
    await page.getByRole('heading', { name: 'dev' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/profiles/dev');
    await page.getByLabel('Attach server').selectOption('everything');
    await page.getByRole('button', { name: 'Attach', exact: true }).click();
    await page.locator('tr[data-tool="everything__echo"]').waitFor({ timeout: 15_000 });

    await page.getByLabel('Regular expression').check();
    await page.getByLabel('Search tools').fill('^get-(env|sum)$');
    await page.getByText('2 of ').waitFor();
    // The URL follows the search box after a pause in typing (a deep link), not on each keystroke.
    await waitFor(async () => new URL(page.url()).searchParams.get('q') === '^get-(env|sum)$', 10_000, 'the search in the URL');
    await page.getByLabel('Select all shown tools').check();
    await page.getByRole('button', { name: 'Hide selected (2)' }).click();
    await page.locator('tr[data-tool="everything__get-env"]').getByText('hidden').waitFor({ timeout: 10_000 });
    await page.locator('tr[data-tool="everything__get-sum"]').getByText('hidden').waitFor();

    await page.getByLabel('Regular expression').uncheck();
    await page.getByLabel('Search tools').fill('echo');
    await page.getByLabel('Name of everything__echo').fill('say');
    await page.getByLabel('Name of everything__echo').press('Enter');
    await page.locator('tr[data-tool="say"]').waitFor({ timeout: 10_000 });
    await page.getByLabel('Search tools').fill('');
    await screenshot(page, 'console-profile');

    // What the console shows active is exactly what a client lists.
    const shownActive = await page.evaluate<string[]>('[...document.querySelectorAll("tr[data-tool]")].filter((row) => row.querySelector(".status-active")).map((row) => row.getAttribute("data-tool"))');
    const key = await issueKey(gh, ['dev']);
    const client = await connectClient(gh.url, 'dev', { key });
    try {
      const listed = (await client.listTools()).tools.map((tool) => tool.name);
      expect(listed).toContain('say');
      expect(listed).not.toContain('everything__echo');
      expect(listed).not.toEqual(expect.arrayContaining(['everything__get-env']));
      expect(listed).not.toEqual(expect.arrayContaining(['everything__get-sum']));
      expect([...listed].sort()).toEqual([...shownActive].sort());
    } finally {
      await client.close();
    }
  }, 90_000);

  it('shows the changes in the timeline and the diff, and restores with a confirmation that shows the diff', async () => {
    await page.goto(`${gh.url}/profiles/dev`);
    await page.locator('#main').getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'History of profile dev' }).waitFor();
    const rename = page.locator('ol.timeline > li', { hasText: 'ToolOverridden' }).first();
    await rename.waitFor();
    await rename.getByText('toolName: echo').waitFor();
    await rename.getByRole('button', { name: 'What changed here' }).click();
    const diff = page.getByRole('table', { name: /Differences from/ });
    await diff.getByText('profiles › dev › tools › everything/echo', { exact: true }).waitFor();
    await diff.getByText('"say"', { exact: false }).waitFor();
    await screenshot(page, 'console-history-diff');

    const attached = page.locator('ol.timeline > li', { hasText: 'ServerAttached' }).first();
    await attached.getByRole('button', { name: 'Restore to here' }).click();
    const confirm = page.getByRole('dialog', { name: /Restore to position/ });
    await confirm.getByText('tools › everything/get-env', { exact: false }).first().waitFor();
    await screenshot(page, 'console-restore-confirm');
    await confirm.getByRole('button', { name: 'Restore' }).click();
    await confirm.waitFor({ state: 'detached' });

    const key = await issueKey(gh, ['dev'], 'after-restore');
    const client = await connectClient(gh.url, 'dev', { key });
    try {
      const listed = (await client.listTools()).tools.map((tool) => tool.name);
      expect(listed).toEqual(expect.arrayContaining(['everything__echo', 'everything__get-env', 'everything__get-sum']));
      expect(listed).not.toContain('say');
    } finally {
      await client.close();
    }
    // The restore is in the timeline too, without a reload.
    await page.locator('ol.timeline > li', { hasText: 'ToolOverrideCleared' }).first().waitFor({ timeout: 10_000 });
  }, 60_000);

  it('refuses an edit over a change made elsewhere with the API\'s conflict detail', async () => {
    // A second console whose events stream does not get through (a dropped connection): it still shows the old version.
    const stale = await browser.newPage();
    const staleWatch = watchPage(stale, gh.url);
    await stale.addInitScript(`sessionStorage.setItem('gatehouse.adminToken', ${JSON.stringify(TEST_ADMIN_TOKEN)})`);
    await stale.route('**/api/events/stream', (route) => route.abort());
    await stale.goto(`${gh.url}/profiles/dev?q=get-tiny`);
    await stale.locator('tr[data-tool="everything__get-tiny-image"]').waitFor({ timeout: 10_000 });
    expect((await gh.api('PATCH', '/api/profiles/dev/tools/everything/get-tiny-image', { title: 'Changed elsewhere' })).status).toBe(200);
    await stale.getByLabel('Description of everything__get-tiny-image').fill('Edited in the console');
    await stale.getByLabel('Description of everything__get-tiny-image').press('Enter');
    await stale.getByRole('alert').getByText(/changed/i).waitFor({ timeout: 10_000 });
    await screenshot(stale, 'console-conflict');
    const tools = (await gh.api('GET', '/api/profiles/dev/tools')).body.tools;
    expect(tools.find((tool: { originalName: string }) => tool.originalName === 'get-tiny-image').overrides.description).toBeNull();
    await stale.close();
    expect(staleWatch.errors).toEqual([]);
  }, 30_000);

  it('clones the profile with its servers and tool settings', async () => {
    await page.goto(`${gh.url}/profiles/dev`);
    await page.getByLabel('Clone as (slug)').fill('dev-copy');
    await page.getByRole('button', { name: 'Clone' }).click();
    await page.getByRole('heading', { name: 'dev-copy' }).waitFor();
    const copy = (await gh.api('GET', '/api/profiles/dev-copy/tools')).body.tools;
    const original = (await gh.api('GET', '/api/profiles/dev/tools')).body.tools;
    const shape = (tools: Array<{ exposedName: string; status: string }>) => tools.map(({ exposedName, status }) => ({ exposedName, status }));
    expect(shape(copy)).toEqual(shape(original));
    await page.getByText('/mcp/dev-copy').first().waitFor();
  }, 30_000);

  it('creates a key whose secret is shown once, which opens the profile, and revokes it after a confirmation; then it is refused', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Keys' }).click();
    const form = page.getByRole('form', { name: 'New API key' });
    await form.getByLabel('Key name').fill('from-the-browser');
    await form.getByRole('checkbox', { name: 'dev', exact: true }).check();
    await form.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('region', { name: 'New key' });
    const key = (await shown.getByLabel('The new key').textContent()) ?? '';
    expect(key.length).toBeGreaterThan(20);
    await shown.getByText('it will not be shown again', { exact: false }).waitFor();
    const row = page.getByRole('row', { name: /from-the-browser/ });
    await row.getByText('active').waitFor();
    expect(await row.textContent()).not.toContain(key);
    await screenshot(page, 'console-key-created');

    // A real call on the profile's endpoint with that key.
    const client = await connectClient(gh.url, 'dev', { key });
    try {
      const echo = (await client.listTools()).tools.find((tool) => tool.name.endsWith('echo'));
      expect(echo).toBeDefined();
      const answer = await client.callTool({ name: echo!.name, arguments: { message: 'through a console key' } });
      expect(JSON.stringify(answer.content)).toContain('through a console key');
    } finally {
      await client.close();
    }

    // When it was last used (no event: written off the request path): a time after that call, "never" for a key not used.
    await issueKey(gh, ['dev'], 'never-used');
    const listed = async (name: string) => (await gh.api('GET', '/api/keys')).body.keys.find((k: { name: string }) => k.name === name);
    await waitFor(async () => (await listed('from-the-browser')).lastUsedAt !== null, 10_000, 'the key\'s use to be recorded');
    const lastUsed = Date.parse((await listed('from-the-browser')).lastUsedAt);
    expect(lastUsed).toBeGreaterThan(Date.now() - 60_000);
    expect(lastUsed).toBeLessThanOrEqual(Date.now());
    expect((await listed('never-used')).lastUsedAt).toBeNull();

    // Shown once: gone after "Done", and not there after a reload either.
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(key);
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(key);
    const lastUsedColumn = (await page.getByRole('table', { name: 'API keys' }).locator('thead th').allTextContents()).indexOf('Last used');
    expect(lastUsedColumn).toBeGreaterThan(0);
    const lastUsedCell = async (name: string) => (await page.getByRole('row', { name: new RegExp(name) }).locator('td').nth(lastUsedColumn).textContent())?.trim();
    expect(await lastUsedCell('from-the-browser')).toBe(await page.evaluate((at) => new Date(at).toLocaleString(), lastUsed));
    expect(await lastUsedCell('never-used')).toBe('never');
    await screenshot(page, 'console-keys-last-used');

    await row.getByRole('button', { name: 'Revoke from-the-browser' }).click();
    const confirm = page.getByRole('dialog', { name: /Revoke key "from-the-browser"/ });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await gh.api('GET', '/api/keys')).body.keys.find((k: { name: string }) => k.name === 'from-the-browser').status).toBe('active');
    await row.getByRole('button', { name: 'Revoke from-the-browser' }).click();
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await confirm.waitFor({ state: 'detached' });
    await row.getByText('revoked').waitFor({ timeout: 10_000 });
    const refused = await fetch(`${gh.url}/mcp/dev`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    expect(refused.status).toBe(401);
    await expect(connectClient(gh.url, 'dev', { key })).rejects.toThrow();
  }, 60_000);

  it('manages users (create, change role, disable and enable); a member signed in sees no Users screen', async () => {
    await page.goto(`${gh.url}/users`);
    const form = page.getByRole('form', { name: 'New user' });
    await form.getByLabel('User name').fill('mia');
    await form.getByLabel('Role').selectOption('member');
    await form.getByLabel('Initial password').fill('mia password 1');
    await form.getByRole('button', { name: 'Create user' }).click();
    const row = page.locator('tr[data-user="mia"]');
    await row.waitFor();
    const mia = async () => (await gh.api('GET', '/api/users/mia')).body;
    expect(await mia()).toMatchObject({ role: 'member', status: 'enabled' });

    // Two changes in quick succession, as a person makes them: the second goes out as soon as the select is enabled
    // again, before the list is read again, and must carry the version the first one's answer gave (not be refused).
    const before = (await mia()).version;
    await page.getByLabel('Role of mia').selectOption('admin');
    await page.getByLabel('Role of mia').selectOption('member');
    await waitFor(async () => (await mia()).version === before + 2, 10_000, 'both role changes to be saved');
    expect(await mia()).toMatchObject({ role: 'member', version: before + 2 });
    expect(await row.locator('.error, [role="alert"]').count()).toBe(0);
    await row.getByRole('button', { name: 'Disable mia' }).click();
    await row.getByText('disabled').waitFor({ timeout: 10_000 });
    expect((await mia()).status).toBe('disabled');
    await row.getByRole('button', { name: 'Enable mia' }).click();
    await row.getByText('enabled').waitFor({ timeout: 10_000 });
    await screenshot(page, 'console-users');

    const member = await browser.newPage();
    const memberWatch = watchPage(member, gh.url);
    await member.goto(`${gh.url}/keys`);
    await member.getByLabel('User name').fill('mia');
    await member.getByLabel('Password').fill('mia password 1');
    await member.getByRole('button', { name: 'Sign in', exact: true }).click();
    await member.getByRole('heading', { name: 'API keys' }).waitFor();
    const nav = member.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Keys' }).waitFor();
    expect(await nav.getByRole('link').allTextContents()).not.toContain('Users');
    // A member issues keys only for named profiles: no "every profile" choice.
    expect(await member.getByRole('checkbox', { name: /Every profile/ }).count()).toBe(0);
    await member.goto(`${gh.url}/users`);
    await member.getByText('Only owners and admins see users.').waitFor();
    expect(await member.getByRole('table', { name: 'Users' }).count()).toBe(0);
    await member.close();
    expect(memberWatch.errors).toEqual([]);
  }, 60_000);

  it('shows an admin the users read-only: names, roles, status, created; no form, no role or status controls', async () => {
    expect((await gh.api('POST', '/api/users', { name: 'ada', role: 'admin', password: 'ada password 1234' })).status).toBe(201);
    expect((await gh.api('PATCH', '/api/users/mia', { status: 'disabled' })).status).toBe(200);
    const admin = await browser.newPage();
    const adminWatch = watchPage(admin, gh.url);
    await admin.goto(`${gh.url}/servers`);
    await admin.getByLabel('User name').fill('ada');
    await admin.getByLabel('Password').fill('ada password 1234');
    await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    const table = admin.getByRole('table', { name: 'Users' });
    await table.locator('tr[data-user="mia"]').waitFor();
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map((cells) => cells.slice(0, 3))).toEqual([
      ['mia', 'member', 'disabled'],
      ['ada', 'admin', 'enabled'],
    ]);
    // Created, as the browser's locale writes it; no fifth column of actions.
    expect(rows.map((cells) => [cells.length, /\d/.test(cells[3] ?? '')])).toEqual([[4, true], [4, true]]);
    expect(await admin.getByRole('form', { name: 'New user' }).count()).toBe(0);
    expect(await table.getByRole('combobox').count()).toBe(0);
    expect(await table.getByRole('button').count()).toBe(0);
    await admin.getByText('Only an owner creates users', { exact: false }).waitFor();
    await screenshot(admin, 'console-users-admin');
    await admin.close();
    expect(adminWatch.errors).toEqual([]);
    expect((await gh.api('PATCH', '/api/users/mia', { status: 'enabled' })).status).toBe(200);
  }, 60_000);

  it('follows the live traffic of a debug-logged profile with filters, and marks what was redacted in a request and its response', async () => {
    expect((await gh.api('PATCH', '/api/profiles/dev', { debugLogging: true })).status).toBe(200);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Traffic' }).click();
    await page.getByRole('heading', { name: 'Live traffic' }).waitFor();
    await page.locator('.health li[data-server="everything"]').getByText('ready').waitFor({ timeout: 20_000 });
    await page.getByLabel('Profile').selectOption('dev');
    await page.getByLabel('Method').fill('tools/call');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').getByText('following').waitFor({ timeout: 10_000 });
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ profile: 'dev', method: 'tools/call' });

    // A real call through the profile, carrying the server's secret env value (EVERYTHING_TOKEN).
    const key = await issueKey(gh, ['dev'], 'traffic');
    const client = await connectClient(gh.url, 'dev', { key });
    try {
      const echo = (await client.listTools()).tools.find((tool) => tool.name.endsWith('echo'))!;
      await client.callTool({ name: echo.name, arguments: { message: 'the token is sk-very-secret-value-1234' } });
      await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => undefined);
    } finally {
      await client.close();
    }
    // It arrives without a reload; initialize and tools/list are filtered out.
    const rows = page.locator('table[aria-label="Traffic"] tr[data-log]');
    await rows.first().waitFor({ timeout: 15_000 });
    const shownMethods = await page.locator('table[aria-label="Traffic"] tr[data-log] td:nth-child(4)').allTextContents();
    expect(new Set(shownMethods)).toEqual(new Set(['tools/call']));
    const call = page.locator('table[aria-label="Traffic"] tr[data-log]', { hasText: 'echo' }).first();
    await call.getByRole('button', { name: /^Show entry/ }).click();
    const entry = page.getByRole('region', { name: /^Entry \d+/ });
    const request = entry.getByRole('figure', { name: 'Request' });
    await request.locator('mark.redacted').first().waitFor({ timeout: 10_000 });
    await request.getByText('the token is', { exact: false }).waitFor();
    await entry.getByRole('figure', { name: 'Response' }).locator('mark.redacted').first().waitFor();
    expect(await page.content()).not.toContain('sk-very-secret-value');
    await screenshot(page, 'console-traffic');

    // Errors only: the call of a tool that does not exist, not the echo.
    await page.getByLabel('Errors only').check();
    expect(new URL(page.url()).searchParams.get('errors')).toBe('1');
    const statuses = 'table[aria-label="Traffic"] tr[data-log] td:nth-child(6)';
    // Wait for the refiltered list (the rows shown before the switch go first).
    // Polled from here: a string predicate for page.waitForFunction needs eval in the page, which the console's CSP refuses.
    await waitFor(async () => {
      const shown = await page.locator(statuses).allTextContents();
      return shown.length > 0 && shown.every((status) => status.startsWith('error'));
    }, 15_000, 'only the errors listed');
    expect(await page.locator(statuses).allTextContents()).toEqual([expect.stringMatching(/^error/)]);
    await page.getByLabel('Errors only').uncheck();

    // The server filter: the echo's calls (server everything) stay, the unknown tool's (the gateway's answer) goes.
    const servers = 'table[aria-label="Traffic"] tr[data-log] td:nth-child(3)';
    await waitFor(async () => (await page.locator(servers).allTextContents()).includes('gateway'), 15_000, 'the gateway\'s entry listed again');
    await page.getByRole('form', { name: 'Traffic filters' }).getByLabel('Server').selectOption('everything');
    expect(new URL(page.url()).searchParams.get('server')).toBe('everything');
    await waitFor(async () => {
      const shown = await page.locator(servers).allTextContents();
      return shown.length > 0 && shown.every((server) => server === 'everything');
    }, 15_000, 'only the server everything listed');
  }, 60_000);

  it('previews a pasted Claude Desktop file, refuses a bad one with its field errors, imports all of it, and downloads the export', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import / export' }).click();
    const form = page.getByRole('form', { name: 'Import' });
    const area = form.getByLabel('Configuration (JSON)');
    const servers = async () => ((await gh.api('GET', '/api/servers')).body.servers as Array<{ name: string }>).map((server) => server.name).sort();
    const before = await servers();

    await area.fill('{"mcpServers": {');
    await form.getByRole('button', { name: 'Preview' }).click();
    await form.getByRole('alert').getByText('This is not JSON', { exact: false }).waitFor();
    await area.fill(JSON.stringify({ mcpServers: { pasted: { command: 'node', args: [] }, 'bad__name': { command: 'node' } } }));
    await form.getByRole('button', { name: 'Preview' }).click();
    await form.getByRole('list', { name: 'Problems in the document' }).getByText('bad__name', { exact: false }).first().waitFor();
    expect(await servers()).toEqual(before);

    await area.fill(JSON.stringify({ mcpServers: { pasted: { command: 'node', args: ['server.js'], env: { PASTED_TOKEN: 'sk-pasted-secret-5678' } }, everything: { command: process.execPath, args: [EVERYTHING_SERVER] } }, theme: 'dark' }));
    await form.getByRole('button', { name: 'Preview' }).click();
    const preview = form.getByRole('region', { name: 'Preview' });
    await preview.locator('tr[data-server="pasted"]').getByText('registered').waitFor();
    // Reconfiguring the existing server drops its secret env value, and the preview says so (by name).
    await preview.locator('tr[data-server="everything"]').getByText('env.EVERYTHING_TOKEN (dropped)').waitFor();
    await preview.getByRole('list', { name: 'Warnings' }).getByText('theme', { exact: false }).waitFor();
    expect(await servers()).toEqual(before);
    await screenshot(page, 'console-import-preview');

    await form.getByRole('button', { name: 'Import', exact: true }).click();
    await form.getByRole('status').getByText('Imported:', { exact: false }).waitFor({ timeout: 10_000 });
    expect(await servers()).toEqual([...before, 'pasted'].sort());
    const pasted = (await gh.api('GET', '/api/servers/pasted')).body;
    expect(pasted).toMatchObject({ command: 'node', args: ['server.js'], env: { PASTED_TOKEN: '••••5678' } });

    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download configuration' }).click()]);
    expect(file.suggestedFilename()).toBe('gatehouse-config.json');
    const { readFile } = await import('node:fs/promises');
    const exported = JSON.parse(await readFile((await file.path()) as string, 'utf8'));
    expect(exported.mcpServers.pasted).toMatchObject({ command: 'node', args: ['server.js'] });
    expect(JSON.stringify(exported)).not.toContain('sk-pasted-secret');
  }, 60_000);

  it('previews a Cursor file dropped on the import screen like a pasted one (a real drop event with a DataTransfer)', async () => {
    await page.goto(`${gh.url}/import`);
    const form = page.getByRole('form', { name: 'Import' });
    await form.waitFor();
    const servers = async () => ((await gh.api('GET', '/api/servers')).body.servers as Array<{ name: string }>).map((server) => server.name).sort();
    const before = await servers();
    const file = JSON.stringify({ mcpServers: { dropped: { command: 'node', args: ['dropped.js'] }, pasted: { command: 'node', args: ['server.js', '--verbose'] } } }, null, 2);
    // Dispatched from the page: dragenter, dragover, then drop, as a browser sends them for a file dragged in from the desktop.
    await form.evaluate((target, text) => {
      // The page's own constructors (the tests are compiled without the DOM library).
      const dom = globalThis as unknown as {
        DataTransfer: new () => { items: { add: (file: File) => void } };
        DragEvent: new (type: string, init: object) => Event;
      };
      const data = new dom.DataTransfer();
      data.items.add(new File([text], 'mcp.json', { type: 'application/json' }));
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new dom.DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
    }, file);
    const preview = form.getByRole('region', { name: 'Preview' });
    await preview.locator('tr[data-server="dropped"]').getByText('registered').waitFor({ timeout: 10_000 });
    await preview.locator('tr[data-server="pasted"]').getByText('reconfigured').waitFor();
    expect(await form.getByLabel('Configuration (JSON)').inputValue()).toBe(file);
    expect(await form.getByRole('button', { name: 'Import', exact: true }).isEnabled()).toBe(true);
    expect(await servers()).toEqual(before);
    await screenshot(page, 'console-import-drop');
    // The same preview a paste of the same text gives, then Preview.
    const dropped = await preview.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.textContent));
    await form.getByLabel('Configuration (JSON)').fill('');
    await form.getByLabel('Configuration (JSON)').fill(file);
    await form.getByRole('button', { name: 'Preview' }).click();
    await preview.locator('tr[data-server="dropped"]').waitFor();
    expect(await preview.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.textContent))).toEqual(dropped);
  }, 30_000);

  it('renders upstream markup as text', async () => {
    await registerStdioServer(gh, 'hostile', join(FIXTURES, 'hostile-server.js'));
    expect((await gh.api('PUT', '/api/profiles/dev/servers/hostile', { status: 'active' })).status).toBe(201);
    expect((await gh.api('POST', '/api/servers/hostile/discover', {})).status).toBe(200);
    await page.goto(`${gh.url}/profiles/dev?q=markup`);
    await page.locator('tr[data-tool="hostile__markup"]').waitFor({ timeout: 15_000 });
    await page.getByText('<script>window.__pwned', { exact: false }).first().waitFor();
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('tr[data-tool="hostile__markup"] script, tr[data-tool="hostile__markup"] img, tr[data-tool="hostile__markup"] b').count()).toBe(0);
  }, 30_000);
  it('signs a person in with name and password (session cookie + CSRF token), writes as that user, and signs out', async () => {
    expect((await gh.api('POST', '/api/users', { name: 'olivia', role: 'admin', password: 'olivia password 1' })).status).toBe(201);
    const person = await browser.newPage();
    const personWatch = watchPage(person, gh.url);
    await person.goto(`${gh.url}/profiles`);
    await person.getByLabel('User name').fill('olivia');
    await person.getByLabel('Password').fill('wrong password');
    await person.getByRole('button', { name: 'Sign in', exact: true }).click();
    await person.getByRole('alert').first().waitFor();
    await person.getByLabel('Password').fill('olivia password 1');
    await person.getByRole('button', { name: 'Sign in', exact: true }).click();
    await person.getByRole('heading', { name: 'Profiles' }).waitFor();
    expect(new URL(person.url()).pathname).toBe('/profiles');
    // A reload keeps the session (the cookie), and a write carries the CSRF token.
    await person.reload();
    const form = person.getByRole('form', { name: 'New profile' });
    await form.getByLabel('Slug').fill('by-olivia');
    await form.getByRole('button', { name: 'Create profile' }).click();
    await person.getByRole('heading', { name: 'by-olivia' }).waitFor();
    const created = (await gh.api('GET', '/api/events?type=ProfileCreated')).body.events.find((event: { data: { slug: string } }) => event.data.slug === 'by-olivia');
    expect(created.metadata.actor).toMatch(/olivia/);
    expect(await person.evaluate<string>('document.cookie')).toBe('');
    await person.getByRole('button', { name: 'Sign out' }).click();
    await person.getByLabel('User name').waitFor();
    await person.goto(`${gh.url}/profiles`);
    await person.getByLabel('User name').waitFor();
    await person.close();
    expect(personWatch.errors).toEqual([]);
  }, 60_000);
});
