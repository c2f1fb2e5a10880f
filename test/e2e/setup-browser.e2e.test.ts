import type { Browser } from 'playwright-core';
import { describeInBrowser, launchChromium, screenshot, watchPage } from '../support/browser';
import { setupLinkOf, spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

jest.setTimeout(180_000);

const PASSWORD = 'the owners passphrase';

/**
 * A new user's first minute in a real browser: the gateway prints its setup link, the person
 * opens it in Chromium, makes a typing mistake, then becomes the owner and lands in the console
 * signed in (the setup page itself is plain HTML under a CSP with no script).
 */
describeInBrowser('the setup link in Chromium')('the setup link in Chromium', () => {
  const dir = makeTempDir();
  let child: ChildGatehouse;
  let browser: Browser;

  beforeAll(async () => {
    child = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await child?.kill('SIGTERM');
    dir.cleanup();
  });

  it('makes the person who opens the link the owner, signed in to the console', async () => {
    const { setupUrl } = await setupLinkOf(child);
    const page = await browser.newPage();
    const watched = watchPage(page, child.url);
    await page.goto(setupUrl);
    await page.getByLabel('Name').fill('olivia');
    await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD);
    await page.getByLabel('Password again').fill(`${PASSWORD}!`);
    await page.getByRole('button').click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('The two passwords differ');
    // The name survives the round trip; the passwords do not.
    expect(await page.getByLabel('Name').inputValue()).toBe('olivia');
    expect(await page.getByLabel('Password again').inputValue()).toBe('');

    await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button').click();
    await page.waitForURL(`${child.url}/login`);
    expect(await page.textContent('body')).toContain('Signed in as olivia (owner).');
    const [cookie] = (await page.context().cookies()).filter((one) => one.name === 'gatehouse_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // The console takes the session as it is: no second sign-in, and the owner's Users screen is there.
    await page.goto(`${child.url}/servers`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('cell', { name: 'olivia', exact: true }).waitFor();
    await screenshot(page, 'setup-then-console-users');

    // The link is spent: opening it again says so.
    const again = await page.goto(setupUrl);
    expect(again?.status()).toBe(410);
    expect(await page.textContent('body')).toContain('already has its owner');
    expect(watched.errors).toEqual([]);
    expect(watched.outside).toEqual([]);
  });
});
