import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser, Page } from 'playwright-core';
import type { RunningHttpServer } from '../fixtures/upstream-fixtures';
import { describeInBrowser, launchChromium, screenshot, signInWithAdminToken, watchPage } from '../support/browser';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { eventually, getJson, startAuthorizationServer, startProtectedMcpServer, type AuthServerStats } from '../support/oauth-fixtures';

/**
 * The console's "connect" for a shared server behind upstream OAuth: the page shows "auth required",
 * its button leads through the provider's own sign-in and consent pages (oidc-provider on
 * 127.0.0.1), the browser comes back to the console, and the server is then authorized with its tools.
 */
describeInBrowser('the console: connect a server with upstream OAuth')('the console: connecting a server that needs upstream OAuth, in a real browser', () => {
  let as: RunningHttpServer;
  let upstream: RunningHttpServer;
  let gh: TestGatehouse;
  let client: Client;
  let browser: Browser;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;

  beforeAll(async () => {
    as = await startAuthorizationServer(3600);
    upstream = await startProtectedMcpServer(as.baseUrl);
    gh = await startTestGatehouse();
    expect((await gh.api('POST', '/api/servers', { name: 'protected', transport: 'streamable_http', url: `${upstream.baseUrl}/mcp` })).status).toBe(201);
    expect((await gh.api('POST', '/api/profiles', { slug: 'dev' })).status).toBe(201);
    expect((await gh.api('PUT', '/api/profiles/dev/servers/protected', { status: 'active' })).status).toBeLessThan(300);
    const key = (await gh.api('POST', '/api/keys', { name: 'test', profiles: ['dev'] })).body.key;
    client = await connectClient(gh.url, 'dev', { key });

    browser = await launchChromium();
    page = await browser.newPage();
    watched = watchPage(page, gh.url);
    await signInWithAdminToken(page, gh.url);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await client?.close().catch(() => undefined);
    await gh?.stop();
    await upstream?.stop();
    await as?.stop();
  });

  const lastError = () => page.locator('dl.facts dt:text-is("Last error") + dd');

  it('shows "auth required", and Connect (OAuth) goes through the provider\'s sign-in and consent and back to a connected server with its tools', async () => {
    // A client's tools/list reaches the upstream, which answers 401: the server needs authorization.
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('protected__whoami');
    await eventually(async () => (await gh.api('GET', '/api/servers/protected')).body, (body) => body.oauth?.status === 'auth_required');

    await page.goto(`${gh.url}/servers/protected`);
    const titleRow = page.locator('.title-row', { has: page.getByRole('heading', { name: 'protected' }) });
    await titleRow.locator('.status-auth_required').waitFor({ timeout: 15_000 });
    expect(await page.locator('li[data-tool]').count()).toBe(0);
    // The 401 is the present state: shown as the last error, not as one it recovered from.
    await lastError().getByText('authorization required', { exact: false }).waitFor({ timeout: 15_000 });
    expect(await lastError().locator('[data-recovered]').count()).toBe(0);
    await screenshot(page, 'console-connect-auth-required');

    await page.getByRole('button', { name: 'Connect (OAuth)', exact: true }).click();
    // The provider's own pages, in this browser: sign in, then allow.
    await page.waitForURL((url) => url.href.startsWith(`${as.baseUrl}/interaction/`), { timeout: 15_000 });
    await page.getByRole('heading', { name: 'Sign in to the test provider' }).waitFor();
    const left = watched.outside.splice(0);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((url) => url.startsWith(`${as.baseUrl}/`))).toBe(true);
    const authorizationRequest = new URL(left[0]);
    expect(authorizationRequest.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationRequest.searchParams.get('redirect_uri')).toBe(`${gh.url}/oauth/callback`);
    await page.getByLabel('Account').fill('alice');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Allow' }).click();

    // Back at Gatehouse's callback.
    await page.waitForURL((url) => url.href.startsWith(`${gh.url}/oauth/callback`), { timeout: 15_000 });
    // It says so and goes back to the server's page in the console by itself (no click).
    await page.waitForURL((url) => url.href.startsWith(`${gh.url}/servers/`), { timeout: 15_000 });
    await titleRow.locator('.status-authorized').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Connect (OAuth)', exact: true }).count()).toBe(0);
    expect(watched.outside.splice(0).every((url) => url.startsWith(`${as.baseUrl}/`))).toBe(true);
    expect(await getJson<AuthServerStats>(`${as.baseUrl}/__test/stats`)).toMatchObject({ registrations: 1, codeGrants: 1 });

    // Connected with the token: the console lists the upstream's tools, and its status is ready.
    await page.getByRole('button', { name: 'Connect and list tools' }).click();
    await page.locator('li[data-tool="whoami"]').waitFor({ timeout: 15_000 });
    await titleRow.locator('.status-ready').waitFor({ timeout: 15_000 });
    // The 401 from before the authorization reads as history beside the healthy status, and no attempt has failed since.
    await lastError().locator('[data-recovered]').waitFor({ timeout: 15_000 });
    expect(await lastError().textContent()).toMatch(/^none since it recovered at .+ \(before that: upstream "protected": authorization required \(it answered 401\)/);
    expect(await page.locator('[data-failed-attempts]').textContent()).toBe('0 since it last served');
    const { lastError: failure } = (await gh.api('GET', '/api/servers/protected')).body.runtime as { lastError: { message: string; at: string; recoveredAt: string | null } };
    expect(failure.message).toContain('authorization required');
    expect(Date.parse(failure.recoveredAt ?? '')).toBeGreaterThanOrEqual(Date.parse(failure.at));
    await screenshot(page, 'console-connect-authorized');
    // What the console shows is what a client gets.
    await eventually(async () => (await client.listTools()).tools.map((tool) => tool.name), (names) => names.includes('protected__whoami'));
    expect(watched.errors).toEqual([]);
  }, 90_000);
});
