import { execFile } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { COMMANDS } from '../../src/api/cli/commands';
import { spawnGatehouse } from '../support/child-gatehouse';
import { runCli } from '../support/cli';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/gatehouse.js');

type Run = { code: number; stdout: string; stderr: string };

/** Runs the compiled CLI (`npm run build` first; `npm test` does it) against a temp data dir. */
const cli = (dataDir: string, ...args: string[]): Promise<Run> =>
  new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY };
    delete env.GATEHOUSE_DATABASE;
    execFile(process.execPath, [BIN, ...args], { env, cwd: dataDir, timeout: 90_000 }, (error, stdout, stderr) => {
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

/** A Claude Desktop file as it is on disk, `globalShortcut` and `preferences` included. */
const CLAUDE_DESKTOP_FILE = join(ROOT, 'test/fixtures/claude_desktop_config.json');
const IGNORED_WARNING = 'gatehouse import: warning: ignored top-level fields "globalShortcut", "preferences": only mcpServers and gatehouse are imported\n';

/** The events of a data dir's log, read with a connection of the test's own. */
const storedEvents = (dataDir: string): { type: string; correlationId: string }[] => {
  const db = new Database(join(dataDir, 'gatehouse.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT type, metadata FROM events ORDER BY position').all() as { type: string; metadata: string }[];
    return rows.map((row) => ({ type: row.type, correlationId: (JSON.parse(row.metadata) as { correlationId: string }).correlationId }));
  } finally {
    db.close();
  }
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

  it('prints usage on --help for every command, and starts nothing (serve --help does not serve)', async () => {
    const names = Object.keys(COMMANDS);
    const runs = await Promise.all(names.map((name) => run(name, '--help')));
    runs.forEach((result, i) => {
      // stdio writes its usage to stderr: its stdout is the MCP channel.
      expect({ name: names[i], code: result.code, output: names[i] === 'stdio' ? result.stderr : result.stdout }).toEqual({ name: names[i], code: 0, output: expect.stringContaining(`Usage: gatehouse ${names[i]}`) });
    });
  }, 120_000);

  it('migrates a fresh database, then has nothing pending', async () => {
    expect(await run('migrate')).toMatchObject({ code: 0, stdout: expect.stringMatching(/applied InitialSchema\d+/) });
    expect(await run('migrate')).toMatchObject({ code: 0, stdout: expect.stringContaining('no pending migrations') });
  });

  it('imports a file, and the same file again appends nothing', async () => {
    const path = file('claude.json', CONFIG);
    const first = await run('import', path, '--profile', 'dev');
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/files\s+registered[\s\S]*remote\s+registered[\s\S]*\ncreated profile dev\nattached to profile dev\n5 events appended\n$/) });
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

  describe('importing a real Claude Desktop file (a data dir of its own)', () => {
    let desk: ReturnType<typeof makeTempDir>;
    let inDesk: (...args: string[]) => Promise<Run>;
    const changedFile = (change: (file: { mcpServers: Record<string, Record<string, unknown>> }) => void): string => {
      const content = JSON.parse(readFileSync(CLAUDE_DESKTOP_FILE, 'utf8')) as { mcpServers: Record<string, Record<string, unknown>> };
      change(content);
      const path = join(desk.path, `changed-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(path, JSON.stringify(content));
      return path;
    };

    beforeAll(() => {
      desk = makeTempDir();
      inDesk = (...args) => cli(desk.path, ...args);
    });

    afterAll(() => {
      desk.cleanup();
    });

    it('prints what a dry run would do, warns of the ignored fields on stderr, and appends nothing', async () => {
      const result = await inDesk('import', CLAUDE_DESKTOP_FILE, '--profile', 'desk', '--dry-run');
      expect(result).toEqual({
        code: 0,
        stdout: [
          'SERVER      WOULD BE    CHANGES',
          'filesystem  registered',
          'github      registered',
          'linear      registered',
          'would create profile desk',
          'would attach every imported server to profile desk',
          'dry run: 7 events would be appended; nothing was changed',
          '',
        ].join('\n'),
        stderr: IGNORED_WARNING,
      });
      const json = await inDesk('import', CLAUDE_DESKTOP_FILE, '--profile', 'desk', '--dry-run', '--json');
      expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, profiles: [{ slug: 'desk', id: null, action: 'created' }], appended: 0, wouldAppend: 7 });
      expect(storedEvents(desk.path)).toEqual([]);
    });

    it('imports it, creating the profile in the same import under one correlation id', async () => {
      const result = await inDesk('import', CLAUDE_DESKTOP_FILE, '--profile', 'desk');
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(IGNORED_WARNING);
      const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
      expect(result.stdout).toMatch(
        new RegExp(
          `^SERVER {6}ACTION {6}ID {36}CHANGES\\nfilesystem  registered  ${uuid}\\ngithub {6}registered  ${uuid}\\nlinear {6}registered  ${uuid}\\n` +
            'created profile desk\\nattached to profile desk\\n7 events appended\\n$',
        ),
      );
      const events = storedEvents(desk.path);
      expect(events.map((event) => event.type)).toEqual([
        'ServerRegistered', 'ServerRegistered', 'ServerRegistered', 'ProfileCreated', 'ServerAttached', 'ServerAttached', 'ServerAttached',
      ]);
      expect(new Set(events.map((event) => event.correlationId)).size).toBe(1);
    });

    it('names in a dry run the fields and secrets a reconfiguration would change, never the values', async () => {
      const path = changedFile((file) => {
        file.mcpServers.filesystem.args = ['-y', '@modelcontextprotocol/server-filesystem', '/Users/alice/Projects'];
        file.mcpServers.github.env = { GITHUB_PERSONAL_ACCESS_TOKEN: 'github-token-rotated-0002' };
        delete file.mcpServers.linear;
      });
      const result = await inDesk('import', path, '--dry-run');
      expect(result).toEqual({
        code: 0,
        stdout: [
          'SERVER      WOULD BE      CHANGES',
          'filesystem  reconfigured  args',
          'github      reconfigured  env; secrets replaced: env.GITHUB_PERSONAL_ACCESS_TOKEN',
          'dry run: 2 events would be appended; nothing was changed',
          '',
        ].join('\n'),
        stderr: IGNORED_WARNING,
      });
      const dropped = await inDesk('import', changedFile((file) => delete file.mcpServers.github.env), '--dry-run');
      expect(dropped.stdout).toContain('github      reconfigured  env; secrets dropped: env.GITHUB_PERSONAL_ACCESS_TOKEN\n');
      expect(storedEvents(desk.path)).toHaveLength(7);
    });

    it('still refuses an unknown field inside a server entry, naming it', async () => {
      const path = changedFile((file) => {
        file.mcpServers.github.disabled = false;
      });
      const expected = 'mcpServers.github.disabled: unknown field; expected one of type, transport, command, args, env, cwd, url, headers, description, bearerToken, timeoutMs, toolPinning, credentials, approvedTools';
      for (const args of [[path], [path, '--dry-run']]) {
        const result = await inDesk('import', ...args);
        expect(result).toEqual({ code: 1, stdout: '', stderr: `gatehouse import: The import was refused (nothing was changed): ${expected}\n  ${expected}\n` });
      }
      expect(storedEvents(desk.path)).toHaveLength(7);
    });

    it('refuses a --profile that is no slug as a usage error', async () => {
      const result = await inDesk('import', CLAUDE_DESKTOP_FILE, '--profile', 'My Desk');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^gatehouse import: --profile must be a profile slug \(\^\[a-z0-9\]\[a-z0-9-\]\{0,62\}\$\), not "My Desk"\n\nUsage: gatehouse import/);
      noStackTrace(result);
      expect(storedEvents(desk.path)).toHaveLength(7);
    });
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
      [['constructor'], 2, 'unknown command "constructor"'],
      [['serve', 'now'], 2, 'unexpected argument "now"'],
    ];
    // None of these writes, so they can run side by side.
    const results = await Promise.all(cases.map(([args]) => run(...args)));
    results.forEach((result, i) => {
      const [args, code, message] = cases[i];
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code, stderr: expect.stringContaining(message) });
      noStackTrace(result);
    });
  }, 120_000);

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
