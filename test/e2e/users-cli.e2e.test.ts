import { runCli, runCliWithInput } from '../support/cli';
import { StoredRows } from '../support/sqlite';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery staple';

describe('gatehouse users', () => {
  const dir = makeTempDir();
  const env = { GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY };
  afterAll(() => dir.cleanup());

  const stored = <T>(sql: string): T[] => {
    const rows = new StoredRows(`${dir.path}/gatehouse.db`);
    try {
      return rows.all<T>(sql);
    } finally {
      rows.close();
    }
  };

  it('creates the owner with a password from stdin, storing only a scrypt hash', async () => {
    const run = await runCliWithInput(env, `${PASSWORD}\n`, 'users', 'create', 'alice', '--role', 'owner', '--password-stdin', '--json');
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout);
    expect(created).toEqual({ id: expect.any(String), name: 'alice', role: 'owner', status: 'enabled', createdAt: expect.any(String), updatedAt: expect.any(String), version: 1 });
    const [row] = stored<{ password_hash: string }>('SELECT password_hash FROM users');
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    const events = stored<{ data: string; metadata: string }>("SELECT data, metadata FROM events WHERE type = 'UserRegistered'");
    expect(events).toHaveLength(1);
    expect(`${events[0].data}${events[0].metadata}`).not.toContain(PASSWORD);
    expect(JSON.parse(events[0].metadata).actor).toMatch(/^cli:/);
  });

  it('generates and prints a password once when none is given', async () => {
    const run = await runCli(env, 'users', 'create', 'bob');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/created member bob \(.+\)\npassword \(shown only this once; change it after signing in\):\n[A-Za-z0-9_-]{24}\n$/);
    const list = await runCli(env, 'users', 'list', '--json');
    expect(JSON.parse(list.stdout).users.map((u: { name: string; role: string }) => `${u.name}:${u.role}`)).toEqual(['alice:owner', 'bob:member']);
    expect(list.stdout).not.toContain('scrypt');
  });

  it('changes roles, disables and enables, and refuses to lose the last owner', async () => {
    expect(await runCli(env, 'users', 'role', 'alice', 'member')).toMatchObject({ code: 1, stderr: expect.stringContaining('LAST_OWNER') });
    expect(await runCli(env, 'users', 'disable', 'alice')).toMatchObject({ code: 1, stderr: expect.stringContaining('LAST_OWNER') });
    expect(await runCli(env, 'users', 'role', 'bob', 'admin')).toMatchObject({ code: 0, stdout: 'bob: role is now admin\n' });
    expect(await runCli(env, 'users', 'role', 'bob', 'admin')).toMatchObject({ code: 0, stdout: 'bob: already admin\n' });
    expect(await runCli(env, 'users', 'disable', 'bob')).toMatchObject({ code: 0, stdout: expect.stringContaining('bob: disabled') });
    expect(await runCli(env, 'users', 'enable', 'bob')).toMatchObject({ code: 0, stdout: 'bob: enabled\n' });
    expect(await runCliWithInput(env, 'another long password', 'users', 'password', 'bob', '--password-stdin')).toMatchObject({ code: 0, stdout: 'bob: password changed\n' });
  });

  it('creates, lists and revokes a user\'s personal access tokens, printing a token once and storing its hash', async () => {
    const created = await runCli(env, 'users', 'token', 'create', 'bob', '--name', 'bob ci', '--expires', '2099-01-31', '--json');
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout);
    expect(token).toMatchObject({ name: 'bob ci', status: 'active', expiresAt: '2099-01-31T00:00:00.000Z', token: expect.stringMatching(/^ghp_/) });
    const text = await runCli(env, 'users', 'token', 'create', 'bob', '--name', 'bob laptop');
    expect(text.stdout).toMatch(/^created personal access token .+ "bob laptop" for bob\nthe token \(shown only this once; store it now\):\nghp_[A-Za-z0-9_-]{43}\n$/);
    const list = await runCli(env, 'users', 'token', 'list', 'bob', '--json');
    expect(JSON.parse(list.stdout).tokens.map((t: { name: string }) => t.name)).toEqual(['bob ci', 'bob laptop']);
    expect(list.stdout).not.toContain(token.token.slice(4));
    const rows = stored<{ token_hash: string; user_id: string }>('SELECT token_hash, user_id FROM personal_access_tokens');
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(stored('SELECT data FROM events'))).not.toContain(token.token.slice(4));
    expect(await runCli(env, 'users', 'token', 'revoke', 'alice', token.id)).toMatchObject({ code: 1, stderr: expect.stringContaining('TOKEN_NOT_FOUND') });
    expect(await runCli(env, 'users', 'token', 'revoke', 'bob', token.id)).toMatchObject({ code: 0, stdout: `revoked personal access token ${token.id}\n` });
    expect(await runCli(env, 'users', 'token', 'revoke', 'bob', token.id)).toMatchObject({ code: 0, stdout: `personal access token ${token.id} was already revoked\n` });
  });

  it.each<[string, string[], string | undefined, number, string]>([
    ['a taken name', ['create', 'alice', '--password-stdin'], PASSWORD, 1, 'USER_NAME_TAKEN'],
    ['an upper-case name', ['create', 'Carol', '--password-stdin'], PASSWORD, 1, 'INVALID_ARGUMENT'],
    ['a short password', ['create', 'carol', '--password-stdin'], 'short', 1, 'at least 12 characters'],
    ['an unknown role', ['create', 'carol', '--role', 'root'], undefined, 2, 'unknown role "root"'],
    ['an unknown user', ['disable', 'nobody'], undefined, 2, 'no user "nobody"'],
    ['an unknown action', ['delete', 'bob'], undefined, 2, 'unknown action "delete"'],
    ['--role outside create', ['list', '--role', 'owner'], undefined, 2, '--role belongs to `users create`'],
    ['a token without a name', ['token', 'create', 'bob'], undefined, 2, 'token create needs --name'],
    ['a token with a bad expiry', ['token', 'create', 'bob', '--name', 'x', '--expires', 'soon'], undefined, 2, '--expires must be'],
    ['a token expiring in the past', ['token', 'create', 'bob', '--name', 'x', '--expires', '2020-01-01'], undefined, 1, 'INVALID_ARGUMENT'],
    ['a token for nobody', ['token', 'list', 'nobody'], undefined, 2, 'no user "nobody"'],
    ['an unknown token action', ['token', 'rotate', 'bob'], undefined, 2, 'unknown token action "rotate"'],
  ])('refuses %s and changes nothing', async (_, args, input, code, message) => {
    const before = stored<{ n: number }>('SELECT COUNT(*) AS n FROM events')[0].n;
    const run = input === undefined ? await runCli(env, 'users', ...args) : await runCliWithInput(env, input, 'users', ...args);
    expect(run).toMatchObject({ code, stderr: expect.stringContaining(message) });
    expect(stored<{ n: number }>('SELECT COUNT(*) AS n FROM events')[0].n).toBe(before);
  });
});
