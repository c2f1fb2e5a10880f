import { join } from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { describeInBrowser, launchChromium, screenshot, untilInPage, watchPage } from '../support/browser';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { connectClient, FIXTURES } from '../support/mcp-client';
import { headPosition } from '../support/events';
import { createProfile, registerStdioServer, waitFor } from '../support/proxy';

/** A stdio server that writes to stderr and exits before it speaks MCP. */
const CRASHING = ["-e", "process.stderr.write('crashing: cannot read /etc/crashing.conf\\n'); process.exit(3)"];

/** WCAG relative luminance and contrast of two computed colours (`rgb(r, g, b)`). */
const luminance = (rgb: string): number => {
  const [r, g, b] = (/^rgba?\((\d+), (\d+), (\d+)/.exec(rgb) ?? [rgb, NaN, NaN, NaN]).slice(1).map((part) => Number(part) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: string, b: string): number => {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
};

/**
 * The issue's cross-cutting console requirements, each in a real browser: dark mode follows the
 * system with readable contrast, every control has a name a screen reader reads and the skip link
 * comes first, a failing server's status, last error and stderr tail, the API's problem detail
 * as the message, progress of a bulk change, bulk show, the hidden/overridden filters, a
 * description edit, the prefix mode, the server and whole-configuration timelines with one
 * request's events grouped, and the client snippets' copy button.
 */
describeInBrowser('the console basics')('the console basics, in a real browser', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'four', join(FIXTURES, 'many-tools-server.js'), ['--count', '4']);
    await createProfile(gh, 'basics', ['four']);
    expect((await gh.api('POST', '/api/servers/four/discover', {})).status).toBe(200);
    browser = await launchChromium();
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gh.url });
    page = await context.newPage();
    await page.addInitScript(`sessionStorage.setItem('gatehouse.adminToken', ${JSON.stringify(TEST_ADMIN_TOKEN)})`);
    watched = watchPage(page, gh.url);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gh?.stop();
  });
  afterEach(() => {
    expect(watched.errors.splice(0)).toEqual([]);
    expect(watched.outside.splice(0)).toEqual([]);
  });

  it('follows the system\'s colour scheme, with text, links and status colours readable (contrast ≥ 4.5) in both', async () => {
    const seen: Record<string, string> = {};
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.goto(`${gh.url}/servers`);
      await page.getByRole('row', { name: /four/ }).waitFor();
      // Each design token as the browser computes it (a probe element coloured with it).
      const tokens = (await page.evaluate(`(() => {
        const probe = document.createElement('span');
        document.body.append(probe);
        const computed = (name) => { probe.style.color = 'var(' + name + ')'; return getComputedStyle(probe).color; };
        const names = { bg: '--bg', fg: '--fg', muted: '--muted', accent: '--accent', accentFg: '--accent-fg', danger: '--danger', ok: '--ok', warn: '--warn' };
        const tokens = Object.fromEntries(Object.entries(names).map(([key, name]) => [key, computed(name)]));
        probe.remove();
        return { ...tokens, body: getComputedStyle(document.body).backgroundColor };
      })()`)) as Record<string, string>;
      expect(tokens.body).toBe(tokens.bg);
      seen[colorScheme] = tokens.body;
      expect({ colorScheme, dark: luminance(tokens.bg) < 0.05 }).toEqual({ colorScheme, dark: colorScheme === 'dark' });
      for (const name of ['fg', 'muted', 'accent', 'danger', 'ok', 'warn']) {
        expect({ colorScheme, name, readable: contrast(tokens[name], tokens.bg) >= 4.5 }).toEqual({ colorScheme, name, readable: true });
      }
      expect({ colorScheme, readable: contrast(tokens.accentFg, tokens.accent) >= 4.5 }).toEqual({ colorScheme, readable: true });
      await screenshot(page, `console-servers-${colorScheme}`);
    }
    // The page itself, not only the tokens, changed.
    expect(seen.light).not.toBe(seen.dark);
    await page.emulateMedia({ colorScheme: 'light' });
  }, 60_000);

  it('names every control on every screen for a screen reader, and offers the skip link first', async () => {
    const unnamed = `[...document.querySelectorAll('input, select, textarea, button, a[href]')]
      .filter((el) => el.type !== 'hidden' && !el.closest('[aria-hidden="true"]'))
      .filter((el) => {
        const byIds = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean).map((id) => document.getElementById(id)?.textContent || '').join(' ');
        const byLabels = [...(el.labels || [])].map((label) => label.textContent).join(' ');
        const own = el.tagName === 'BUTTON' || el.tagName === 'A' ? el.textContent : '';
        return ((el.getAttribute('aria-label') || '') + byIds + byLabels + own + (el.getAttribute('title') || '')).trim() === '';
      })
      .map((el) => el.outerHTML.slice(0, 160))`;
    const screens: Array<[string, string]> = [
      ['/servers', 'Servers'],
      ['/servers/four', 'four'],
      ['/profiles', 'Profiles'],
      ['/profiles/basics', 'basics'],
      ['/history', 'History of the configuration'],
      ['/keys', 'API keys'],
      ['/traffic', 'Live traffic'],
      ['/import', 'Import / export'],
      ['/users', 'Users'],
    ];
    for (const [path, heading] of screens) {
      await page.goto(`${gh.url}${path}`);
      await page.getByRole('heading', { name: heading, exact: true }).first().waitFor();
      if (path === '/servers') await page.getByRole('button', { name: 'Add server' }).click();
      if (path === '/profiles/basics') await page.locator('tr[data-tool]').first().waitFor({ timeout: 15_000 });
      expect({ path, unnamed: await page.evaluate(unnamed) }).toEqual({ path, unnamed: [] });
    }

    await page.goto(`${gh.url}/servers`);
    await page.getByRole('row', { name: /four/ }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    // Past the header's links: the first control of the screen itself.
    expect(await page.evaluate('document.activeElement?.closest("main") !== null')).toBe(true);
  }, 90_000);

  it('shows a failing server\'s status and last error in the list, and its stderr tail on its page', async () => {
    expect((await gh.api('POST', '/api/servers', { name: 'crashing', transport: 'stdio', command: process.execPath, args: CRASHING })).status).toBe(201);
    expect((await gh.api('POST', '/api/servers/crashing/discover', {})).status).toBeGreaterThanOrEqual(400);
    // It is restarted with backoff: its status moves on (unhealthy, connecting, backoff), its last error stays a failure.
    const runtime = async () => (await gh.api('GET', '/api/servers/crashing')).body.runtime as { status: string; lastError: { message: string } | null; stderrTail: string };
    expect((await runtime()).lastError?.message).toEqual(expect.any(String));

    await page.goto(`${gh.url}/servers`);
    const row = page.getByRole('row', { name: /crashing/ });
    await row.waitFor();
    const cells = async () => row.locator('td').allTextContents();
    const [, , status, lastError] = await cells();
    expect(['unhealthy', 'connecting', 'backoff', 'error', 'starting']).toContain(status);
    expect(lastError).toContain('process exited with code 3');

    await row.getByRole('link', { name: 'crashing' }).click();
    await page.getByRole('heading', { name: 'crashing' }).waitFor();
    await page.getByText('process exited with code 3', { exact: false }).first().waitFor();
    await page.getByRole('heading', { name: 'stderr (tail)' }).waitFor();
    await page.locator('pre.log').getByText('crashing: cannot read /etc/crashing.conf').first().waitFor();
    // Its failed attempts agree with the stderr tail, one line per process start (the first was asked
    // server/discover, exited and was started again), read from one rendering while it waits out a backoff.
    const { shown, lines } = await untilInPage<{ shown: string | null; lines: number }>(page, `(() => {
      if (document.querySelector('.title-row .status')?.textContent !== 'unhealthy') return null;
      const lines = (document.querySelector('pre.log')?.textContent ?? '').split('\\n').filter((line) => line.includes('crashing: cannot read')).length;
      return { shown: document.querySelector('[data-failed-attempts]')?.textContent ?? null, lines };
    })()`, 20_000);
    expect(lines).toBeGreaterThanOrEqual(2);
    expect(shown).toBe(`${lines} since it last served`);
    await screenshot(page, 'console-server-failing');
  }, 60_000);

  it('adds a Streamable HTTP server through its own form (header and bearer token shown masked), edits it, and removes it after a confirmation', async () => {
    await page.goto(`${gh.url}/servers`);
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('form', { name: 'Add server' });
    await form.getByLabel('Name', { exact: true }).fill('remote-http');
    await form.getByLabel('Transport').selectOption('streamable_http');
    // The stdio fields give way to the HTTP ones.
    expect(await form.getByLabel('Command').count()).toBe(0);
    await form.getByLabel('URL').fill('http://127.0.0.1:9/mcp');
    await form.getByLabel(/^Headers/).fill('X-Api-Key: header-secret-value-5678');
    await form.getByLabel('Bearer token').fill('bearer-secret-value-4321');
    await form.getByRole('button', { name: 'Add server' }).click();
    await page.getByRole('heading', { name: 'remote-http' }).waitFor();
    expect((await gh.api('GET', '/api/servers/remote-http')).body).toMatchObject({ transport: 'streamable_http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Api-Key': '••••5678' }, bearerToken: '••••4321' });
    await page.getByText('••••5678', { exact: false }).first().waitFor();
    await page.getByText('••••4321', { exact: false }).first().waitFor();
    expect(await page.content()).not.toMatch(/header-secret-value|bearer-secret-value/);

    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Save server' });
    await edit.getByLabel('Description').fill('Edited in the console');
    await edit.getByRole('button', { name: 'Save server' }).click();
    await page.locator('#main').getByText('Edited in the console').first().waitFor({ timeout: 10_000 });
    // An empty bearer token field keeps the stored one.
    expect((await gh.api('GET', '/api/servers/remote-http')).body).toMatchObject({ description: 'Edited in the console', bearerToken: '••••4321', headers: { 'X-Api-Key': '••••5678' } });

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('heading', { name: 'Servers', exact: true }).waitFor();
    await waitFor(async () => (await gh.api('GET', '/api/servers/remote-http')).status === 404, 10_000, 'the server removed');
    await page.getByRole('row', { name: /four/ }).waitFor();
    expect(await page.getByRole('row', { name: /remote-http/ }).count()).toBe(0);
  }, 60_000);

  it('renders a logged response that carries markup as text in the live traffic view', async () => {
    await registerStdioServer(gh, 'hostile', join(FIXTURES, 'hostile-server.js'));
    await createProfile(gh, 'logged', ['hostile'], { auth: { apiKey: false } });
    expect((await gh.api('PATCH', '/api/profiles/logged', { debugLogging: true })).status).toBe(200);
    await page.goto(`${gh.url}/traffic?profile=logged`);
    await page.getByRole('status').getByText('following').waitFor({ timeout: 10_000 });
    const client = await connectClient(gh.url, 'logged');
    try {
      await client.callTool({ name: 'hostile__markup', arguments: {} });
    } finally {
      await client.close();
    }
    const call = page.locator('table[aria-label="Traffic"] tr[data-log]', { hasText: 'tools/call' }).first();
    await call.waitFor({ timeout: 15_000 });
    await call.getByRole('button', { name: /^Show entry/ }).click();
    const response = page.getByRole('region', { name: /^Entry \d+/ }).getByRole('figure', { name: 'Response' });
    await response.getByText('<script>window.__pwned', { exact: false }).first().waitFor({ timeout: 10_000 });
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await response.locator('script, img, b').count()).toBe(0);
  }, 60_000);

  it('shows the API\'s problem detail as the message of a refused form', async () => {
    const refused = await gh.api('POST', '/api/servers', { name: 'four', transport: 'stdio', command: process.execPath });
    expect(refused.status).toBe(409);
    await page.goto(`${gh.url}/servers`);
    await page.getByRole('button', { name: 'Add server' }).click();
    const form = page.getByRole('form', { name: 'Add server' });
    await form.getByLabel('Name', { exact: true }).fill('four');
    await form.getByLabel('Command').fill(process.execPath);
    await form.getByRole('button', { name: 'Add server' }).click();
    await form.getByRole('alert').first().waitFor();
    // The detail, and the API's field messages if it names fields: nothing of the console's own making.
    const fieldMessages = ((refused.body.errors ?? []) as Array<{ messages: string[] }>).map((error) => error.messages.join('; '));
    const alerts = await form.getByRole('alert').allTextContents();
    expect(alerts).toContain(refused.body.detail);
    expect(alerts.filter((alert) => alert !== refused.body.detail && !fieldMessages.includes(alert))).toEqual([]);
  }, 30_000);

  it('shows the progress of a bulk change write by write, shows hidden tools again in bulk, and filters hidden and overridden tools', async () => {
    await page.goto(`${gh.url}/profiles/basics`);
    await page.getByText('4 of 4 tools').waitFor({ timeout: 15_000 });
    // Each PATCH held until the test has seen the progress it causes.
    const held: Route[] = [];
    await page.route('**/api/profiles/basics/tools/**', (route) => void held.push(route));
    await page.getByLabel('Select all shown tools').check();
    await page.getByRole('button', { name: 'Hide selected (4)' }).click();
    for (let write = 1; write <= 4; write++) {
      await page.getByRole('status').getByText(`Saving ${write} of 4…`).waitFor();
      await waitFor(() => held.length === write, 10_000, `write ${write} to be sent`);
      await held[write - 1].continue();
    }
    await page.getByRole('status').getByText('4 of 4 tools').waitFor({ timeout: 10_000 });
    await page.unroute('**/api/profiles/basics/tools/**');
    const statuses = async () => ((await gh.api('GET', '/api/profiles/basics/tools')).body.tools as Array<{ toolStatus: string }>).map((tool) => tool.toolStatus);
    expect(await statuses()).toEqual(['inactive', 'inactive', 'inactive', 'inactive']);

    // The hidden filter, then all shown again with one bulk action.
    await page.getByRole('combobox', { name: 'Show', exact: true }).selectOption('hidden');
    await page.getByText('4 of 4 tools').waitFor();
    await page.getByLabel('Select all shown tools').check();
    await page.getByRole('button', { name: 'Show selected (4)' }).click();
    await page.getByText('0 of 4 tools').waitFor({ timeout: 10_000 });
    expect(await statuses()).toEqual(['active', 'active', 'active', 'active']);

    // A description edit, then the overridden filter shows that tool only.
    await page.getByRole('combobox', { name: 'Show', exact: true }).selectOption('all');
    await page.getByLabel('Description of four__crm_list_invoice_1').fill('Lists invoices, for the CRM team');
    await page.getByLabel('Description of four__crm_list_invoice_1').press('Enter');
    await waitFor(async () => (await gh.api('GET', '/api/profiles/basics/tools')).body.tools.find((tool: { originalName: string }) => tool.originalName === 'crm_list_invoice_1').overrides.description === 'Lists invoices, for the CRM team', 10_000, 'the description override');
    await page.getByRole('combobox', { name: 'Show', exact: true }).selectOption('overridden');
    await page.getByText('1 of 4 tools').waitFor({ timeout: 10_000 });
    expect(await page.locator('tr[data-tool]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-tool')))).toEqual(['four__crm_list_invoice_1']);
    await page.getByText('Lists invoices, for the CRM team').first().waitFor();

    // Two edits before the list is read again (its reads held): the second sends the version the first's answer gave.
    await page.getByRole('combobox', { name: 'Show', exact: true }).selectOption('all');
    await page.getByText('4 of 4 tools').waitFor();
    const reads: Route[] = [];
    await page.route('**/api/profiles/basics/tools', (route) => void (route.request().method() === 'GET' ? reads.push(route) : route.continue()));
    const described = async (name: string) => (await gh.api('GET', '/api/profiles/basics/tools')).body.tools.find((tool: { originalName: string }) => tool.originalName === name).overrides.description;
    await page.getByLabel('Description of four__billing_list_invoice_0').fill('Billing invoices');
    await page.getByLabel('Description of four__billing_list_invoice_0').press('Enter');
    await waitFor(async () => (await described('billing_list_invoice_0')) === 'Billing invoices', 10_000, 'the first edit');
    await page.getByRole('status').getByText('4 of 4 tools').waitFor();
    await page.getByLabel('Description of four__crm_list_invoice_1').fill('CRM invoices');
    await page.getByLabel('Description of four__crm_list_invoice_1').press('Enter');
    await waitFor(async () => (await described('crm_list_invoice_1')) === 'CRM invoices', 10_000, 'the second edit, sent before the list was read again');
    expect(reads.length).toBeGreaterThan(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.unroute('**/api/profiles/basics/tools'); // the held reads go on
  }, 60_000);

  it('changes the prefix mode, and copies the endpoint and a client snippet', async () => {
    await page.goto(`${gh.url}/profiles/basics`);
    await page.locator('tr[data-tool="four__billing_list_invoice_0"]').waitFor({ timeout: 15_000 });
    await page.getByLabel('Tool name prefix').selectOption('never');
    await page.locator('tr[data-tool="billing_list_invoice_0"]').waitFor({ timeout: 10_000 });
    expect((await gh.api('GET', '/api/profiles/basics')).body.toolPrefix).toBe('never');

    const endpoint = `${gh.url}/mcp/basics`;
    await page.getByRole('button', { name: 'Copy URL' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(endpoint);
    await page.getByRole('tab', { name: 'VS Code' }).click();
    const snippet = await page.getByRole('tabpanel', { name: 'VS Code' }).textContent();
    expect(JSON.parse(snippet ?? '')).toEqual({ servers: { basics: { type: 'http', url: endpoint, headers: { Authorization: 'Bearer <your API key>' } } } });
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await waitFor(async () => (await page.evaluate('navigator.clipboard.readText()')) === snippet, 10_000, 'the snippet on the clipboard');
  }, 30_000);

  it('shows a server\'s timeline and the whole configuration\'s, one request\'s events together, and a diff from any entry to now', async () => {
    // One request, four events: the clone.
    expect((await gh.api('POST', '/api/profiles/basics/clone', { slug: 'basics-copy' })).status).toBe(201);
    await page.goto(`${gh.url}/history`);
    await page.getByRole('heading', { name: 'History of the configuration' }).waitFor();
    const clone = page.locator('ol.timeline > li', { hasText: 'basics-copy' }).first();
    await clone.waitFor({ timeout: 10_000 });
    expect(await clone.locator('ul > li code').allTextContents()).toEqual(expect.arrayContaining(['ProfileCreated', 'ServerAttached']));
    expect(await clone.locator('ul > li').count()).toBeGreaterThan(1);
    expect(await page.locator('ol.timeline > li', { hasText: 'ServerRegistered' }).count()).toBeGreaterThan(0);

    await page.goto(`${gh.url}/history?server=four`);
    await page.getByRole('heading', { name: 'History of server four' }).waitFor();
    const registered = page.locator('ol.timeline > li', { hasText: 'ServerRegistered' }).first();
    await registered.waitFor({ timeout: 10_000 });
    expect(await page.locator('ol.timeline > li', { hasText: 'ProfileCreated' }).count()).toBe(0);
    await registered.getByRole('button', { name: 'Diff from here to now' }).click();
    await waitFor(async () => new URL(page.url()).searchParams.get('from') !== null, 10_000, 'the diff in the URL');
    const diff = page.getByRole('heading', { name: /^Diff \d+ → now$/ });
    await diff.waitFor();
    await screenshot(page, 'console-history-server');
  }, 30_000);

  it('pauses, resumes and detaches a profile\'s server with buttons named for it, and the active filter follows the pause', async () => {
    await createProfile(gh, 'pausing', ['four']);
    const servers = async () => ((await gh.api('GET', '/api/profiles/pausing')).body.servers as Array<{ name: string; status: string }>).map(({ name, status }) => ({ name, status }));
    await page.goto(`${gh.url}/profiles/pausing`);
    const rows = page.locator('tr[data-tool^="four__"]');
    await rows.first().waitFor({ timeout: 15_000 });
    const show = page.getByRole('combobox', { name: 'Show', exact: true });
    await show.selectOption('active');
    await untilInPage(page, `document.querySelectorAll('tr[data-tool^="four__"]').length === 4`, 10_000);

    // Each row's buttons say which server they act on (a screen reader reads "Pause four", not "Pause").
    await page.getByRole('button', { name: 'Pause four', exact: true }).click();
    await page.getByRole('button', { name: 'Resume four', exact: true }).waitFor({ timeout: 10_000 });
    expect(await servers()).toEqual([{ name: 'four', status: 'inactive' }]);
    // A paused server's tools are not exposed: the active filter leaves them out, "all" still lists them.
    await untilInPage(page, `document.querySelectorAll('tr[data-tool^="four__"]').length === 0`, 10_000);
    await show.selectOption('all');
    await untilInPage(page, `document.querySelectorAll('tr[data-tool^="four__"]').length === 4`, 10_000);
    await screenshot(page, 'console-profile-paused');

    await page.getByRole('button', { name: 'Resume four', exact: true }).click();
    await page.getByRole('button', { name: 'Pause four', exact: true }).waitFor({ timeout: 10_000 });
    expect(await servers()).toEqual([{ name: 'four', status: 'active' }]);

    await page.getByRole('button', { name: 'Detach four', exact: true }).click();
    await page.getByRole('combobox', { name: 'Attach server' }).locator('option', { hasText: 'four' }).waitFor({ state: 'attached', timeout: 10_000 });
    expect(await servers()).toEqual([]);
    await untilInPage(page, `document.querySelectorAll('tr[data-tool^="four__"]').length === 0`, 10_000);
  }, 60_000);

  it('shows the newest changes in the whole configuration\'s timeline of a log longer than one page (1,000 events)', async () => {
    const head = headPosition(gh);
    // Ten profiles edited a hundred times each, ten at a time: more than 1,000 events after the ones above.
    const slugs = Array.from({ length: 10 }, (_, n) => `long-${n}`);
    for (const slug of slugs) expect((await gh.api('POST', '/api/profiles', { slug })).status).toBe(201);
    for (let round = 0; round < 100; round++) {
      const answers = await Promise.all(slugs.map((slug) => gh.api('PATCH', `/api/profiles/${slug}`, { description: `round ${round}` })));
      expect(answers.map((answer) => answer.status)).toEqual(slugs.map(() => 200));
    }
    expect((await gh.api('POST', '/api/profiles', { slug: 'the-newest' })).status).toBe(201);
    expect(headPosition(gh)).toBeGreaterThan(head + 1_000);

    await page.goto(`${gh.url}/history`);
    await page.getByRole('heading', { name: 'History of the configuration' }).waitFor();
    await page.locator('ol.timeline > li', { hasText: 'slug: the-newest' }).waitFor({ timeout: 15_000 });
    // Newest first: the profile just created heads the timeline.
    expect(await page.locator('ol.timeline > li').first().textContent()).toContain('slug: the-newest');
  }, 120_000);
});
