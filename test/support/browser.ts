import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_ADMIN_TOKEN } from './gatehouse';

/** Debian's Chromium (installed by .ci/run); playwright-core's own browser downloads are not reachable here. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));

/** `describe` when Chromium is there (or CI demands it), else a loud skip. */
export const describeInBrowser = (what: string): jest.Describe => {
  if (!CHROMIUM && process.env.CI !== 'true') {
    console.warn(`SKIPPED: ${what} needs Chromium (apt-get install -y chromium); .ci/run installs it`);
    return describe.skip;
  }
  return describe;
};

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export const launchChromium = async (): Promise<Browser> => {
  if (!CHROMIUM) throw new Error('CI needs Chromium for the browser tests: .ci/run installs it');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
};

/** Screenshots for a reviewer, written under .tmp/ (gitignored), never committed. */
export const SCREENSHOTS = join(__dirname, '..', '..', '.tmp', 'screenshots');

export const screenshot = async (page: Page, name: string): Promise<string> => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
};

/** Collects what a page must never do: throw, log errors, or reach anything but the gateway. */
export const watchPage = (page: Page, origin: string): { errors: string[]; outside: string[] } => {
  const errors: string[] = [];
  const outside: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // A refused request (401 for a wrong token, 409 for a conflict) is an answer the page shows, not a fault.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) outside.push(request.url());
  });
  return { errors, outside };
};

/** Signs `page` in to the console with the admin token ("Use the admin token instead") and waits for the servers screen. */
export const signInWithAdminToken = async (page: Page, origin: string, token = TEST_ADMIN_TOKEN): Promise<void> => {
  await page.goto(`${origin}/signin`);
  await page.getByText('Use the admin token instead').click();
  await page.getByRole('textbox', { name: /^Admin token/ }).fill(token);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.getByRole('heading', { name: 'Servers' }).waitFor();
};

/** A new page of `browser`, watched (see watchPage) and signed in with the admin token. */
export const openAdminPage = async (browser: Browser, origin: string): Promise<{ page: Page; watched: ReturnType<typeof watchPage> }> => {
  const page = await browser.newPage();
  const watched = watchPage(page, origin);
  await signInWithAdminToken(page, origin);
  return { page, watched };
};

/**
 * Polls `expression` in the page until it is truthy and returns it. `page.evaluate` goes through
 * the DevTools protocol, which the console's CSP (no 'unsafe-eval') does not apply to, while
 * Playwright's `waitForFunction` with a string evaluates it again with `eval` in the page after
 * its first try, which that CSP refuses (a test passed only when the first try was already true).
 */
export const untilInPage = async <T>(page: Page, expression: string, timeoutMs: number): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = (await page.evaluate(expression)) as T;
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not true in the page within ${timeoutMs} ms: ${expression.slice(0, 160)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
