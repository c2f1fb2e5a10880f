import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TEST_ADMIN_TOKEN } from './gatehouse';
import { makeTempDir, TEST_SECRET_KEY } from './temp-dir';

const ROOT = join(__dirname, '..', '..');
export const GATEHOUSE_BIN = join(ROOT, 'bin', 'gatehouse.js');
const COMPILED_CLI = join(ROOT, 'dist', 'src', 'api', 'cli', 'main.js');

/** A port that was free a moment ago (the OS picks it; we close the socket and hand it on). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

export type ChildGatehouse = {
  process: ChildProcess;
  url: string;
  /** Everything the process wrote, for failure messages. */
  output: () => string;
  /** What it wrote on stdout alone: its JSON log lines (stderr chunks do not split them). */
  stdout: () => string;
  /** Resolves with the exit code or signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/**
 * `node bin/gatehouse.js serve` as a child process (the compiled build: run `npm run build`
 * first). Resolves when the process logs that it is listening. A GATEHOUSE_PORT in `env` is
 * used (a restart on the same port), else a free port is chosen.
 */
export const spawnGatehouse = async (env: Record<string, string>, timeoutMs = 15_000): Promise<ChildGatehouse> => {
  if (!existsSync(COMPILED_CLI)) throw new Error(`${COMPILED_CLI} is missing: run \`npm run build\` first`);
  const port = env.GATEHOUSE_PORT === undefined ? await freePort() : Number(env.GATEHOUSE_PORT);
  const child = spawn(process.execPath, [GATEHOUSE_BIN, 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gatehouse did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      stdout += chunk.toString('utf8');
      if (output.includes('"gatehouse listening"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gatehouse exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  try {
    await listening;
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
  return {
    process: child,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stdout: () => stdout,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
};

/** The first-start setup link that a gateway with no accounts prints on stdout, waited for (bounded, 30 s). */
export const setupLinkOf = async (child: ChildGatehouse): Promise<{ setupUrl: string; expiresAt: string; msg: string }> => {
  for (let i = 0; i < 300; i += 1) {
    const line = child.output().split('\n').find((text) => text.includes('"setupUrl"'));
    if (line !== undefined) return JSON.parse(line);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no setup link within 30 s:\n${child.output()}`);
};

export type LogLine = Readonly<Record<string, unknown>>;

/** The JSON log lines the process has written so far, in order; lines that are not JSON (or not yet complete) are skipped. */
export const logLinesOf = (child: ChildGatehouse): LogLine[] =>
  child.stdout().split('\n').flatMap((text) => {
    if (!text.startsWith('{')) return [];
    try {
      return [JSON.parse(text) as LogLine];
    } catch {
      return [];
    }
  });

/**
 * Gateway processes on one shared database (`GATEHOUSE_DATABASE_URL`), each with a data directory of
 * its own and the test admin token; `stop` ends them all (SIGTERM) and removes their directories.
 */
export const sharedDatabaseInstances = (databaseUrl: () => string) => {
  const dirs: ReturnType<typeof makeTempDir>[] = [];
  const started: ChildGatehouse[] = [];
  return {
    started,
    start: async (): Promise<ChildGatehouse> => {
      const dir = makeTempDir();
      dirs.push(dir);
      const instance = await spawnGatehouse(
        { GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_DATABASE_URL: databaseUrl(), GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY },
        30_000,
      );
      started.push(instance);
      return instance;
    },
    stop: async (): Promise<void> => {
      await Promise.allSettled(started.map((instance) => instance.kill('SIGTERM')));
      for (const dir of dirs) dir.cleanup();
    },
  };
};
