import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureServer } from '../fixtures/upstream-fixtures';
import { GATEHOUSE_BIN } from '../support/child-gatehouse';
import { runCli, runCliWithInput, type CliRun } from '../support/cli';
import { StoredRows } from '../support/sqlite';
import { waitFor } from '../support/proxy';
import { makeTempDir } from '../support/temp-dir';

/**
 * `gatehouse export --with-secrets` from one data dir and `gatehouse import` of it into a fresh
 * one with another master key, as processes of the built CLI; the restored server is then run
 * through `gatehouse stdio`, and its environment shows the secret arrived intact.
 */
const SECRET = 'backup-env-secret-0001';
const BEARER = 'backup-bearer-secret-0002';
const PASSPHRASE = 'restore me with this passphrase';
const OWNER_PASSWORD = 'the owner password 0003';
const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);

const CONFIG = {
  mcpServers: {
    local: { command: process.execPath, args: [fixtureServer('env-server.js')], env: { BACKUP_TOKEN: SECRET } },
    remote: { type: 'http', url: 'https://mcp.example.com/mcp', bearerToken: BEARER },
  },
  gatehouse: { profiles: { restored: { servers: [{ name: 'local' }] } } },
};

/** Neither the passphrase nor a secret may ever reach a terminal. */
const expectNothingSecret = (run: CliRun): void => {
  for (const text of [PASSPHRASE, SECRET, BEARER]) {
    expect(run.stdout).not.toContain(text);
    expect(run.stderr).not.toContain(text);
  }
  expect(run.stderr).not.toMatch(/\n\s+at /);
};

describe('gatehouse export --with-secrets, then gatehouse import into a fresh data dir', () => {
  let a: ReturnType<typeof makeTempDir>;
  let b: ReturnType<typeof makeTempDir>;
  let backupFile: string;
  let client: Client | undefined;
  const inA = (env: Record<string, string>, ...args: string[]) => runCli({ GATEHOUSE_DATA_DIR: a.path, GATEHOUSE_SECRET_KEY: KEY_A, ...env }, ...args);
  const inB = (env: Record<string, string>, ...args: string[]) => runCli({ GATEHOUSE_DATA_DIR: b.path, GATEHOUSE_SECRET_KEY: KEY_B, ...env }, ...args);
  /** The plain export's servers and profiles, which a restore must give back. */
  const configOf = async (run: typeof inA) => {
    const exported = await run({}, 'export');
    expect(exported.code).toBe(0);
    const { mcpServers, gatehouse } = JSON.parse(exported.stdout) as { mcpServers: unknown; gatehouse: { profiles: unknown } };
    return { mcpServers, profiles: gatehouse.profiles };
  };

  beforeAll(async () => {
    if (!existsSync(GATEHOUSE_BIN) || !existsSync(join(__dirname, '../../dist/src/api/cli/main.js'))) throw new Error('dist is missing: run `npm run build` first');
    a = makeTempDir();
    b = makeTempDir();
    backupFile = join(a.path, 'backup.json');
    writeFileSync(join(a.path, 'config.json'), JSON.stringify(CONFIG));
    expect((await inA({}, 'import', join(a.path, 'config.json'))).code).toBe(0);
    const owner = await runCliWithInput({ GATEHOUSE_DATA_DIR: a.path, GATEHOUSE_SECRET_KEY: KEY_A }, `${OWNER_PASSWORD}\n`, 'users', 'create', 'olivia', '--role', 'owner', '--password-stdin');
    expect(owner.code).toBe(0);
  });
  afterAll(async () => {
    await client?.close();
    a.cleanup();
    b.cleanup();
  });

  it('needs a passphrase of at least 12 characters, and says how to give it', async () => {
    const none = await inA({}, 'export', '--with-secrets');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--with-secrets needs a passphrase: set GATEHOUSE_BACKUP_PASSPHRASE');
    expect(none.stdout).toBe('');
    const short = await inA({ GATEHOUSE_BACKUP_PASSPHRASE: 'elevenchars' }, 'export', '--with-secrets');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('fewer than 12 characters');
    const events = await inA({ GATEHOUSE_BACKUP_PASSPHRASE: PASSPHRASE }, 'export', '--with-secrets', '--format', 'events');
    expect(events.code).toBe(2);
  });

  it('writes the backup to a 0600 file, every secret sealed', async () => {
    writeFileSync(backupFile, '', { mode: 0o644 });
    const run = await inA({ GATEHOUSE_BACKUP_PASSPHRASE: PASSPHRASE }, 'export', '--with-secrets', '--output', backupFile);
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: `exported a backup with encrypted secrets to ${backupFile}\n` });
    expectNothingSecret(run);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    const text = readFileSync(backupFile, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(BEARER);
    const backup = JSON.parse(text) as { backup: { format: string }; mcpServers: { local: { env: Record<string, unknown> } } };
    expect(backup.backup.format).toBe('gatehouse-backup');
    expect(backup.mcpServers.local.env.BACKUP_TOKEN).toEqual({ sealed: expect.any(String) });
  });

  it('refuses to import it without the passphrase, with a wrong one, or altered; appending nothing', async () => {
    const none = await inB({}, 'import', backupFile);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('is an encrypted backup (gatehouse export --with-secrets): give its passphrase in GATEHOUSE_BACKUP_PASSPHRASE');

    const wrong = await inB({ GATEHOUSE_BACKUP_PASSPHRASE: 'not the right passphrase' }, 'import', backupFile);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('the passphrase does not open this backup');
    expect(wrong.stderr).toContain('BACKUP_PASSPHRASE_WRONG');
    expect(wrong.stderr).not.toContain('not the right passphrase');
    expectNothingSecret(wrong);

    const altered = join(b.path, 'altered.json');
    const backup = JSON.parse(readFileSync(backupFile, 'utf8')) as { mcpServers: { local: { args: string[] } } };
    backup.mcpServers.local.args = ['/tmp/elsewhere.js'];
    writeFileSync(altered, JSON.stringify(backup));
    const tampered = await inB({ GATEHOUSE_BACKUP_PASSPHRASE: PASSPHRASE }, 'import', altered);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('the backup was altered after it was written');
    expect(tampered.stderr).toContain('BACKUP_TAMPERED');
    expectNothingSecret(tampered);

    expect(await configOf(inB)).toEqual({ mcpServers: {}, profiles: {} });
  });

  it('restores the configuration with the passphrase, and again changes nothing', async () => {
    const run = await inB({ GATEHOUSE_BACKUP_PASSPHRASE: PASSPHRASE }, 'import', backupFile);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/local\s+registered/);
    expect(run.stdout).toContain('created profile restored');
    expect(run.stdout).toContain('created user olivia');
    expectNothingSecret(run);
    // The owner comes back with the same scrypt hash (the backup carried it sealed, never in clear).
    expect(readFileSync(backupFile, 'utf8')).not.toContain('scrypt$');
    const hashOf = (dir: string) => {
      const rows = new StoredRows(join(dir, 'gatehouse.db'));
      try {
        return rows.all<{ name: string; role: string; password_hash: string }>('SELECT name, role, password_hash FROM users');
      } finally {
        rows.close();
      }
    };
    expect(hashOf(b.path)).toEqual(hashOf(a.path));
    expect(hashOf(b.path)).toEqual([{ name: 'olivia', role: 'owner', password_hash: expect.stringMatching(/^scrypt\$/) }]);
    expect(await configOf(inB)).toEqual(await configOf(inA));
    const again = await inB({ GATEHOUSE_BACKUP_PASSPHRASE: PASSPHRASE }, 'import', backupFile);
    expect(again.stdout).toContain('0 events appended');
  });

  it('gives a server whose secret works in the new data dir', async () => {
    client = new Client({ name: 'backup-restore', version: '1.0.0' }, { capabilities: {} });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [GATEHOUSE_BIN, 'stdio', '--profile', 'restored'],
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GATEHOUSE_DATA_DIR: b.path, GATEHOUSE_SECRET_KEY: KEY_B },
        stderr: 'pipe',
      }),
    );
    const env = await waitFor(
      async () => {
        const result = (await client!.callTool({ name: 'local__get_env', arguments: {} })) as { isError?: boolean; content: { type: string; text: string }[] };
        return result.isError ? undefined : (JSON.parse(result.content[0].text) as { env: Record<string, string> }).env;
      },
      15_000,
      'the restored server answering get_env',
      200,
    );
    expect(env.BACKUP_TOKEN).toBe(SECRET);
  });
});
