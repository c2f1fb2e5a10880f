import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describeInBrowser, launchChromium, screenshot } from '../support/browser';
import { MemoryOAuthClient } from '../support/oauth-server-client';
import { startOAuthGatehouse, type OAuthGatehouse } from '../support/oauth-server-gatehouse';

const PASSWORD = 'a browser signs grace in';
const WAIT_MS = 20_000;

/** What reached the client's loopback redirect URI: the query the authorization server sent back. */
type Callback = Readonly<{ code: string | null; error: string | null; state: string | null; iss: string | null }>;

/**
 * The redirect URI of a native MCP client (RFC 8252 loopback): a server on 127.0.0.1 that takes
 * one redirect, answers the browser with a short page, and hands the query to the test.
 */
class LoopbackCallback {
  private server: Server | undefined;
  private waiting: ((callback: Callback) => void) | undefined;
  private received: Callback[] = [];
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/callback') {
        res.writeHead(404).end();
        return;
      }
      const query = url.searchParams;
      const callback = { code: query.get('code'), error: query.get('error'), state: query.get('state'), iss: query.get('iss') };
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Signed in</title><p id="done">You can close this window.</p>');
      if (this.waiting) this.waiting(callback);
      else this.received.push(callback);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callback`;
  }

  /** The next redirect the browser brings here. */
  next(): Promise<Callback> {
    const queued = this.received.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the browser never reached the redirect URI')), WAIT_MS);
      this.waiting = (callback) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(callback);
      };
    });
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** The SDK's OAuthClientProvider of a native client: it opens the authorization URL in the browser. */
class BrowserOAuthClient extends MemoryOAuthClient {
  constructor(private readonly page: Page, private readonly callbackUrl: string, name: string) {
    super(name);
  }

  override get redirectUrl(): string {
    return this.callbackUrl;
  }

  override get clientMetadata() {
    return { ...super.clientMetadata, redirect_uris: [this.callbackUrl] };
  }

  /** A fresh `state` for each authorization request, checked when the browser comes back. */
  state(): string {
    return randomBytes(16).toString('base64url');
  }

  override async redirectToAuthorization(url: URL): Promise<void> {
    super.redirectToAuthorization(url);
    await this.page.goto(url.href);
  }
}

describeInBrowser('the OAuth sign-in in a browser')('an MCP client signs in through Gatehouse in a real browser', () => {
  let gh: OAuthGatehouse;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let callback: LoopbackCallback;
  /** Every URL the browser asked for: the gateway's and the client's redirect URI, nothing else. */
  const requested: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    gh = await startOAuthGatehouse({ alpha: 'oauth', beta: 'oauth' });
    const user = await gh.api('POST', '/api/users', { name: 'grace', role: 'member', password: PASSWORD });
    if (user.status !== 201) throw new Error(`create user: ${user.status} ${JSON.stringify(user.body)}`);
    // A member allows only the profiles they may use: both are shared with members.
    for (const slug of ['alpha', 'beta']) {
      const shared = await gh.api('PUT', `/api/profiles/${slug}/access`, { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] });
      if (shared.status !== 200) throw new Error(`share ${slug}: ${shared.status} ${JSON.stringify(shared.body)}`);
    }
    callback = new LoopbackCallback();
    await callback.start();
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('request', (request) => requested.push(request.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await callback?.stop();
    await gh?.stop();
  });

  const endpoint = (slug: string): URL => new URL(`${gh.url}/mcp/${slug}`);

  it('signs in at the login page, picks the profile on the consent page, allows, and the client calls a tool', async () => {
    const oauth = new BrowserOAuthClient(page, callback.url, 'browser-client');
    const transport = new StreamableHTTPClientTransport(endpoint('alpha'), { authProvider: oauth });
    await expect(new Client({ name: 'browser-test', version: '1.0.0' }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const state = oauth.authorizationUrl?.searchParams.get('state');
    expect(state).toEqual(expect.any(String));

    // Not signed in yet: the consent page offers the sign-in link and no profile can be allowed without it.
    await page.getByRole('heading', { name: 'Allow access to Gatehouse?' }).waitFor();
    expect(await page.locator('body').innerText()).toContain('browser-client');
    await page.getByRole('link', { name: 'Sign in with your Gatehouse account' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.fill('#name', 'grace');
    await page.fill('#password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Back on the consent page, signed in: the person picks the profile and allows.
    await page.waitForURL((url) => url.pathname.startsWith('/oauth/interaction/'));
    await page.getByText('Signed in as grace').waitFor();
    await page.selectOption('#profile', 'alpha');
    await screenshot(page, 'oauth-consent-signed-in');
    const redirected = callback.next();
    await page.getByRole('button', { name: 'Allow' }).click();
    const back = await redirected;
    expect(back).toEqual({ code: expect.any(String), error: null, state, iss: gh.url });
    await page.getByText('You can close this window.').waitFor();

    await transport.finishAuth(back.code as string);
    const client = new Client({ name: 'browser-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(endpoint('alpha'), { authProvider: oauth }));
    const result = await client.callTool({ name: 'probe__whoami', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain('oauth');
    // The grant is grace's and is for alpha only.
    const grants = gh.sql.all<{ payload: string }>("SELECT payload FROM oauth_server_records WHERE model = 'Grant'").map((row) => JSON.parse(row.payload) as { accountId: string; resources: Record<string, string> });
    const grace = (await gh.api('GET', '/api/users/grace')).body as { id: string };
    expect(grants).toEqual([expect.objectContaining({ accountId: grace.id, resources: { [`${gh.url}/mcp/alpha`]: 'mcp' } })]);
    await client.close();
  }, 90_000);

  it('denies: the client is sent back with access_denied, gets no token, and nothing is granted', async () => {
    const grantsBefore = gh.sql.all<{ n: number }>("SELECT COUNT(*) AS n FROM oauth_server_records WHERE model = 'Grant'")[0].n;
    const oauth = new BrowserOAuthClient(page, callback.url, 'denied-client');
    const transport = new StreamableHTTPClientTransport(endpoint('beta'), { authProvider: oauth });
    await expect(new Client({ name: 'browser-test', version: '1.0.0' }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const state = oauth.authorizationUrl?.searchParams.get('state');

    // Still signed in from the first test: straight to the consent page, which names the client.
    await page.getByText('Signed in as grace').waitFor();
    expect(await page.locator('body').innerText()).toContain('denied-client');
    const redirected = callback.next();
    await page.getByRole('button', { name: 'Deny' }).click();
    const back = await redirected;
    expect(back).toEqual({ code: null, error: 'access_denied', state, iss: gh.url });

    expect(oauth.saved).toBeUndefined();
    expect(gh.sql.all<{ n: number }>("SELECT COUNT(*) AS n FROM oauth_server_records WHERE model = 'Grant'")[0].n).toBe(grantsBefore);
    const refused = new Client({ name: 'browser-test', version: '1.0.0' });
    await expect(refused.connect(new StreamableHTTPClientTransport(endpoint('beta'), { authProvider: oauth }))).rejects.toBeInstanceOf(UnauthorizedError);

    // Both flows kept to the gateway and the client's own redirect URI, without a page error.
    const callbackOrigin = new URL(callback.url).origin;
    expect(requested.filter((url) => !url.startsWith(`${gh.url}/`) && !url.startsWith(`${callbackOrigin}/`))).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
