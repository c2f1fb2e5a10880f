import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

const SECRET = 'sk-live-cli-rotation-42424242';

describe('gatehouse admin-token rotate', () => {
  let gh: TestGatehouse;
  const tokenFile = (): string => join(gh.dataDir, 'admin.token');
  const status = async (token: string): Promise<number> =>
    (await fetch(`${gh.url}/api/settings`, { headers: { authorization: `Bearer ${token}` } })).status;

  beforeAll(async () => {
    // No GATEHOUSE_ADMIN_TOKEN: the token lives in <data dir>/admin.token.
    gh = await startTestGatehouse({ GATEHOUSE_ADMIN_TOKEN: '' });
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('replaces the token file, and the running server takes the new token at once and the old one no more', async () => {
    const old = readFileSync(tokenFile(), 'utf8').trim();
    expect(await status(old)).toBe(200);
    const run = await runCli({ GATEHOUSE_DATA_DIR: gh.dataDir }, 'admin-token', 'rotate');
    expect(run).toEqual({ code: 0, stdout: '', stderr: expect.stringContaining(tokenFile()) });
    const rotated = readFileSync(tokenFile(), 'utf8').trim();
    expect(rotated).toMatch(/^gha_[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(old);
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    expect(`${run.stdout}${run.stderr}`).not.toContain(rotated);
    expect(await status(rotated)).toBe(200);
    expect(await status(old)).toBe(401);
  });

  it('prints the new token only when asked to', async () => {
    const run = await runCli({ GATEHOUSE_DATA_DIR: gh.dataDir }, 'admin-token', 'rotate', '--print');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(readFileSync(tokenFile(), 'utf8').trim());
    expect(await status(run.stdout.trim())).toBe(200);
  });

  it('explains what to do when the token comes from GATEHOUSE_ADMIN_TOKEN', async () => {
    const before = readFileSync(tokenFile(), 'utf8');
    const run = await runCli({ GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_ADMIN_TOKEN: 'an-environment-token-0123456789' }, 'admin-token', 'rotate');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/GATEHOUSE_ADMIN_TOKEN is set/);
    expect(`${run.stdout}${run.stderr}`).not.toContain('an-environment-token-0123456789');
    expect(readFileSync(tokenFile(), 'utf8')).toBe(before);
  });
});

describe('gatehouse secrets rotate-key', () => {
  const seed = async (env: Record<string, string>): Promise<TestGatehouse> => {
    const gh = await startTestGatehouse(env);
    expect((await gh.api('POST', '/api/servers', { name: 'local', transport: 'stdio', command: 'node', env: { TOKEN: SECRET } })).status).toBe(201);
    return gh;
  };
  /** The server's secret as a restarted gateway opens it (through the proxy's loader, in memory). */
  const openedSecret = (gh: TestGatehouse): string => {
    const row = gh.sql.get<{ env: string }>(`SELECT env FROM servers WHERE name = 'local'`);
    return gh.app.secrets.open(JSON.parse(row?.env ?? '{}').TOKEN);
  };
  const eventsOf = (gh: TestGatehouse): string => JSON.stringify(gh.sql.all('SELECT * FROM events ORDER BY position'));

  it('with the key file: rotates it while the server runs; a restart opens every secret with the new key', async () => {
    const dir = makeTempDir();
    const env = { GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: '' };
    const gh = await seed(env);
    const events = eventsOf(gh);
    const oldKey = readFileSync(join(dir.path, 'secret.key'), 'utf8');
    const run = await runCli({ GATEHOUSE_DATA_DIR: dir.path }, 'secrets', 'rotate-key');
    expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining('1 data key(s) rewrapped') });
    const newKey = readFileSync(join(dir.path, 'secret.key'), 'utf8');
    expect(newKey).not.toBe(oldKey);
    expect(`${run.stdout}${run.stderr}`).not.toContain(newKey.trim());
    // The running server holds the data keys, not the master key: it keeps working.
    expect((await gh.api('PATCH', '/api/servers/local', { description: 'still writable' })).status).toBe(200);
    expect(openedSecret(gh)).toBe(SECRET);
    await gh.close();

    const restarted = await startTestGatehouse(env);
    try {
      expect(openedSecret(restarted)).toBe(SECRET);
      expect(eventsOf(restarted)).toContain(events.slice(1, -1));
    } finally {
      await restarted.close();
      dir.cleanup();
    }
  });

  it('with GATEHOUSE_SECRET_KEY: needs GATEHOUSE_NEW_SECRET_KEY and says to set it', async () => {
    const dir = makeTempDir();
    const gh = await seed({ GATEHOUSE_DATA_DIR: dir.path });
    const newKey = 'f'.repeat(64);
    await gh.close();
    try {
      const refused = await runCli({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY }, 'secrets', 'rotate-key');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/GATEHOUSE_NEW_SECRET_KEY/);
      const run = await runCli({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_NEW_SECRET_KEY: newKey }, 'secrets', 'rotate-key');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Set GATEHOUSE_SECRET_KEY to the value of GATEHOUSE_NEW_SECRET_KEY/);
      for (const key of [newKey, TEST_SECRET_KEY]) expect(`${run.stdout}${run.stderr}`).not.toContain(key);
      await expect(startTestGatehouse({ GATEHOUSE_DATA_DIR: dir.path })).rejects.toThrow(/does not open/);
      const restarted = await startTestGatehouse({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: newKey });
      expect(openedSecret(restarted)).toBe(SECRET);
      await restarted.close();
    } finally {
      dir.cleanup();
    }
  });
});
