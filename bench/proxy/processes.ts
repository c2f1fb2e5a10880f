/**
 * The processes of the proxy benchmark: the fixture upstream and the gateway, each in its own
 * child process, and the cleanup that makes sure none of them (nor a stdio upstream the gateway
 * started) outlives the benchmark, whether it ends normally, throws, or is interrupted.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The repository root (this file runs from dist/bench/proxy/). */
export const ROOT = join(__dirname, '..', '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'servers');

const children = new Set<ChildProcess>();
/** Process groups started by the gateway (stdio upstreams), killed as a last resort. */
const groups = new Set<number>();

const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

const exited = (child: ChildProcess): Promise<void> =>
  alive(child) ? new Promise((resolve) => child.once('exit', () => resolve())) : Promise.resolve();

const killGroups = (): void => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
};

/** Synchronous last resort (process 'exit'): SIGKILL whatever is left. */
const killNow = (): void => {
  for (const child of children) if (alive(child)) child.kill('SIGKILL');
  killGroups();
};
process.on('exit', killNow);

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`. */
export const stopChild = async (child: ChildProcess, graceMs = 3_000): Promise<void> => {
  if (alive(child)) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => alive(child) && child.kill('SIGKILL'), graceMs);
    await exited(child);
    clearTimeout(timer);
  }
  children.delete(child);
};

/** Stops every child still running, and any stdio upstream group the gateway left behind. */
export const stopAll = async (): Promise<void> => {
  await Promise.all([...children].map((child) => stopChild(child)));
  killGroups();
};

export const rememberProcessGroups = (pids: readonly number[]): void => {
  for (const pid of pids) groups.add(pid);
};

/** Resident set size of a process, from /proc/<pid>/status (VmRSS), in bytes. */
export const residentBytes = (pid: number): number => {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
};

/**
 * CPU time a process has used so far, user and system apart, in ms, from /proc/<pid>/stat (clock
 * ticks of 10 ms); with `tid`, that of one of its threads (its main thread: tid = pid).
 */
export const cpuSplitMillis = (pid: number, tid?: number): { user: number; system: number } => {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces, hence the last ')'): utime is the 14th field, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
};

/** CPU time (user + system) a process has used so far, in ms. */
export const cpuMillis = (pid: number): number => {
  const { user, system } = cpuSplitMillis(pid);
  return user + system;
};

/**
 * `taskset -c <cpus>` in front of a command when `cpus` is set (and taskset exists), so a
 * process can be given its own core; otherwise the command as is.
 */
const pinned = (cpus: string | undefined, command: string, args: string[]): [string, string[]] => {
  if (!cpus) return [command, args];
  if (!existsSync('/usr/bin/taskset')) throw new Error('CPU pinning asked for, but /usr/bin/taskset is missing');
  return ['/usr/bin/taskset', ['-c', cpus, command, ...args]];
};

export type Fixture = { child: ChildProcess; url: string; pid: number };

type ListenerOptions = { cpus?: string; timeoutMs?: number };

/** A fixture server over Streamable HTTP (`--http 0`); resolves with its URL once it listens. */
export const startHttpFixture = (script: string, args: string[] = [], options: ListenerOptions = {}): Promise<Fixture> =>
  startListener(join(FIXTURES, script), ['--http', '0', ...args], options);

/** The bare forwarder (floor.ts) in front of an upstream; resolves with its URL once it listens. */
export const startFloor = (upstreamUrl: string, options: ListenerOptions = {}): Promise<Fixture> => startListener(join(__dirname, 'floor.js'), [upstreamUrl], options);

/** A Node script that says `MCP_FIXTURE_LISTENING port=… url=…` on stderr once it listens. */
export const startListener = async (path: string, args: string[], options: ListenerOptions): Promise<Fixture> => {
  const script = basename(path);
  const [command, argv] = pinned(options.cpus, process.execPath, [path, ...args]);
  const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not listen within ${options.timeoutMs ?? 10_000} ms:\n${stderr}`)), options.timeoutMs ?? 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /MCP_FIXTURE_LISTENING port=\d+ url=(\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before listening:\n${stderr}`));
    });
  });
  // Keep draining stderr so the pipe never fills up.
  child.stderr?.resume();
  return { child, url, pid: child.pid as number };
};

export type GatewayProcess = {
  child: ChildProcess;
  pid: number;
  url: string;
  /** One request/response over the IPC hook of gateway-child. */
  ask: <T>(message: Record<string, unknown>, timeoutMs?: number) => Promise<T>;
  output: () => string;
};

/** The gateway in its own process (bench/proxy/gateway-child), with --expose-gc for the memory hook. */
export const startGateway = async (env: Record<string, string>, options: { cpus?: string; execArgv?: string[]; timeoutMs?: number } = {}): Promise<GatewayProcess> => {
  const script = join(__dirname, 'gateway-child.js');
  const execArgv = ['--expose-gc', ...(options.execArgv ?? [])];
  // fork() cannot prefix taskset; pin the already started process instead.
  const child = fork(script, [], {
    cwd: ROOT,
    execArgv,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  if (options.cpus) {
    await new Promise<void>((resolve, reject) =>
      spawn('/usr/bin/taskset', ['-a', '-p', '-c', options.cpus as string, String(child.pid)], { stdio: 'ignore' }).once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`taskset exited with ${code}`)),
      ),
    );
  }
  // What the gateway prints, for error messages; only the first 64 KiB are kept.
  let output = '';
  const collect = (chunk: Buffer): void => {
    if (output.length < 65_536) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const pending = new Map<number, (body: unknown) => void>();
  let url: string | undefined;
  let listening: (() => void) | undefined;
  child.on('message', (message: { id?: number; type?: string; url?: string }) => {
    if (message.type === 'listening') {
      url = message.url;
      listening?.();
    } else if (message.id !== undefined) {
      pending.get(message.id)?.(message);
      pending.delete(message.id);
    }
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not listen within ${options.timeoutMs ?? 20_000} ms:\n${output}`)), options.timeoutMs ?? 20_000);
    listening = () => {
      clearTimeout(timer);
      resolve();
    };
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  let nextId = 1;
  const ask = <T>(message: Record<string, unknown>, timeoutMs = 30_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`gateway did not answer ${String(message.type)} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (body) => {
        clearTimeout(timer);
        resolve(body as T);
      });
      child.send({ ...message, id });
    });
  return { child, pid: child.pid as number, url: url as string, ask, output: () => output };
};

/** Closes the gateway through its hook (it tears down its upstream processes), else kills it. */
export const closeGateway = async (gateway: GatewayProcess): Promise<void> => {
  if (alive(gateway.child)) {
    await gateway.ask({ type: 'close' }, 10_000).catch(() => undefined);
    const timer = setTimeout(() => alive(gateway.child) && gateway.child.kill('SIGKILL'), 3_000);
    await exited(gateway.child);
    clearTimeout(timer);
  }
  children.delete(gateway.child);
};
