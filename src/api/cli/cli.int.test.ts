import { execFile } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { spawnGatehouse } from '../../../test/support/child-gatehouse';
import { runCli } from '../../../test/support/cli';
import { makeTempDir, TEST_SECRET_KEY } from '../../../test/support/temp-dir';

const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'bin/gatehouse.js');

type Run = { code: number; stdout: string; stderr: string };

/** Runs the compiled CLI (`npm run build` first; `npm test` does it) against a temp data dir. */
const cli = (dataDir: string, ...args: string[]): Promise<Run> =>
  new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY };
    delete env.GATEHOUSE_DATABASE;
    execFile(process.execPath, [BIN, ...args], { env, cwd: dataDir, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, stdout, stderr });
    });
  });

const SECRET = 'files-api-key-0001';
const CONFIG = {
  mcpServers: {
    files: { command: 'node', args: ['server.js'], env: { API_KEY: SECRET } },
    remote: { type: 'http', url: 'https://mcp.example.com/mcp' },
  },
  gatehouse: { profiles: { dev: { servers: [{ name: 'files' }] } } },
};

const noStackTrace = (run: Run): void => {
  expect(run.stderr).not.toMatch(/\n\s+at /);
};

describe('the gatehouse CLI', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let run: (...args: string[]) => Promise<Run>;
  const file = (name: string, content: unknown): string => {
    const path = join(dir.path, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/src/api/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
    dir = makeTempDir();
    run = (...args) => cli(dir.path, ...args);
  });

  afterAll(() => {
    dir.cleanup();
  });

  it('prints usage on --help for every command', async () => {
    const runs = await Promise.all(['import', 'export', 'history', 'rebuild', 'keys', 'migrate'].map((name) => run(name, '--help')));
    runs.forEach((result, i) => {
      expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining(`Usage: gatehouse ${['import', 'export', 'history', 'rebuild', 'keys', 'migrate'][i]}`) });
    });
  });

  it('migrates a fresh database, then has nothing pending', async () => {
    expect(await run('migrate')).toMatchObject({ code: 0, stdout: expect.stringMatching(/applied InitialSchema\d+/) });
    expect(await run('migrate')).toMatchObject({ code: 0, stdout: expect.stringContaining('no pending migrations') });
  });

  it('imports a file, and the same file again appends nothing', async () => {
    const path = file('claude.json', CONFIG);
    const first = await run('import', path, '--profile', 'dev');
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/files\s+registered[\s\S]*remote\s+registered[\s\S]*attached to profile dev\n5 events appended/) });
    const second = await run('import', path, '--profile', 'dev');
    expect(second).toMatchObject({ code: 0, stdout: expect.stringMatching(/files\s+unchanged[\s\S]*remote\s+unchanged[\s\S]*0 events appended/) });
  });

  it('refuses a bad file whole, naming each bad entry', async () => {
    const bad = file('bad.json', { mcpServers: { ok: { command: 'x' }, 'bad name': { command: 'x' }, web: { type: 'ftp' } } });
    const result = await run('import', bad);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing was changed');
    expect(result.stderr).toContain('  mcpServers.bad name: server name must match');
    expect(result.stderr).toContain('  mcpServers.web.type: must be one of');
    noStackTrace(result);
    expect((await run('import', file('broken.json', '{"mcpServers":'))).stderr).toContain('not valid JSON');
    expect(await run('import', join(dir.path, 'missing.json'))).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file') });
    expect(await run('import', bad, '--profile', 'nope')).toMatchObject({ code: 1 });
  });

  it('shows the history as a table with secrets masked, filtered by stream and type', async () => {
    const table = await run('history');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^POSITION\s+TIME\s+STREAM\s+TYPE\s+ACTOR\s+DATA\n1\s+\S+Z\s+server-\S+\s+ServerRegistered\s+cli:\S+\s+name=files/);
    expect(table.stdout).toContain('env.API_KEY=••••0001');
    expect(table.stdout).not.toContain(SECRET);
    expect(table.stdout).toContain(`cli:${userInfo().username}`);

    const profiles = await run('history', '--stream', 'profile-*', '--json');
    const events = profiles.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { streamId: string; type: string });
    expect(events.map((event) => event.type)).toEqual(['ProfileCreated', 'ServerAttached', 'ServerAttached']);
    const types = await run('history', '--type', 'ServerRegistered', '--limit', '1');
    expect(types.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(types.stderr).toMatch(/more events follow: --after 1/);
    expect(await run('history', '--limit', 'many')).toMatchObject({ code: 2, stderr: expect.stringContaining('--limit must be') });
  });

  it('exports a config document, the event log, and to a file', async () => {
    const config = await run('export');
    expect(JSON.parse(config.stdout)).toMatchObject({ mcpServers: { files: { env: { API_KEY: '••••0001' } } }, gatehouse: { profiles: { dev: {} } } });
    const events = await run('export', '--format', 'events');
    expect(events.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { type: string }).type)).toEqual([
      'ServerRegistered', 'ServerRegistered', 'ProfileCreated', 'ServerAttached', 'ServerAttached',
    ]);
    expect(events.stdout).not.toContain(SECRET);
    const output = join(dir.path, 'export.json');
    expect(await run('export', '--output', output)).toMatchObject({ code: 0 });
    expect((await run('import', output)).stdout).toContain('0 events appended');
    expect(JSON.parse(readFileSync(output, 'utf8')).mcpServers).toEqual(JSON.parse(config.stdout).mcpServers);
    expect(await run('export', '--format', 'yaml')).toMatchObject({ code: 2, stderr: expect.stringContaining('--format must be one of config, events') });
  });

  it('rebuilds the read models from the log, identical to before', async () => {
    const result = await run('rebuild');
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(/replayed 5 events into .* in [\d.]+ ms\nreplayed 0 traffic journal records into debug_logs in [\d.]+ ms\nread models identical to before the rebuild/);
  });

  it('rebuilds the debug logs from the traffic journal, restoring rows the read model lost', async () => {
    const db = new Database(join(dir.path, 'gatehouse.db'));
    try {
      const record = {
        at: '2026-11-21T10:00:00.000Z', profileId: 'p1', profileSlug: 'dev', sessionId: 's1', clientName: 'cli-test', serverId: null, serverName: 'files',
        kind: 'request', method: 'tools/call', target: 'echo', status: 'ok', errorCode: null, errorMessage: null, durationMs: 1.5,
        requestBytes: 10, responseBytes: 20, paramsTruncated: false, resultTruncated: false,
      };
      const insert = db.prepare('INSERT INTO traffic_journal (recorded_at, record, params, result) VALUES (?, ?, ?, ?)');
      insert.run(record.at, JSON.stringify(record), '{"name":"echo"}', '{"content":[]}');
      insert.run(record.at, JSON.stringify({ ...record, target: 'other' }), '{"name":"other"}', '{"content":[]}');
    } finally {
      db.close();
    }
    const result = await run('rebuild');
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('replayed 2 traffic journal records into debug_logs');
    expect(result.stdout).toContain('read models that differed from the log (now rebuilt): debug_logs');
    const again = await run('rebuild');
    expect(again.stdout).toContain('replayed 2 traffic journal records into debug_logs');
    expect(again.stdout).toContain('read models identical to before the rebuild');
    const shown = await run('logs', 'show', '--json');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('"target":"other"');
  });

  it('creates, lists and revokes API keys', async () => {
    const created = await run('keys', 'create', '--name', 'ci', '--profiles', 'dev', '--json');
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; profiles: string[] };
    expect(key).toMatchObject({ key: expect.stringMatching(/^gh_[A-Za-z0-9_-]{43}$/), profiles: ['dev'] });
    const list = await run('keys', 'list');
    expect(list.stdout).toMatch(new RegExp(`${key.id}\\s+ci\\s+${key.key.slice(0, 10)}…\\s+dev\\s+active\\s+never`));
    expect(list.stdout).not.toContain(key.key);
    expect(await run('keys', 'revoke', key.id)).toMatchObject({ code: 0, stdout: `revoked API key ${key.id}\n` });
    expect(await run('keys', 'revoke', key.id)).toMatchObject({ code: 0, stdout: expect.stringContaining('already revoked') });
  });

  it('refuses bad input with a clear message and no stack trace', async () => {
    const cases: [string[], number, string][] = [
      [['keys'], 2, 'give an action'],
      [['keys', 'create', '--profiles', 'dev'], 2, 'needs --name'],
      [['keys', 'create', '--name', 'x', '--profiles', 'dev', '--expires', 'soon'], 2, '--expires must be'],
      [['keys', 'create', '--name', 'x', '--profiles', 'nope'], 1, 'No profile with slug "nope"'],
      [['keys', 'revoke', 'no-such-key'], 1, 'does not exist'],
      [['history', '--colour'], 2, "Unknown option '--colour'"],
      [['history', '--type', 'ServerRegistered,Bogus'], 2, 'unknown event type Bogus; the types are: ServerRegistered, ServerReconfigured'],
      [['rebuild', 'now'], 2, 'unexpected argument "now"'],
      [['frobnicate'], 2, 'unknown command "frobnicate"'],
    ];
    // None of these writes, so they can run side by side.
    const results = await Promise.all(cases.map(([args]) => run(...args)));
    results.forEach((result, i) => {
      const [args, code, message] = cases[i];
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code, stderr: expect.stringContaining(message) });
      noStackTrace(result);
    });
  });

  it('refuses to rebuild under a running serve, and says which process to stop', async () => {
    const serving = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY });
    try {
      const refused = await run('rebuild');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`gatehouse serve (pid ${serving.process.pid}) is using ${join(dir.path, 'gatehouse.db')}: stop it, then run rebuild`);
      expect(refused.stdout).toBe('');
    } finally {
      expect(await serving.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    }
    expect(await run('rebuild')).toMatchObject({ code: 0, stdout: expect.stringContaining('read models identical to before the rebuild') });
  });

  it('exits at once when its port is taken, naming the setting that changes it', async () => {
    const taken = createServer();
    await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
    try {
      const port = (taken.address() as AddressInfo).port;
      const started = Date.now();
      const result = await runCli({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_PORT: String(port) }, 'serve');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`127.0.0.1:${port} is already in use (another gatehouse?): stop what uses it, or choose another port with GATEHOUSE_PORT`);
      noStackTrace(result);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await new Promise((closed) => taken.close(closed));
    }
  });
});
