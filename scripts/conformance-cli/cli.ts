/**
 * The official MCP conformance CLI, installed on first use rather than with the project: its
 * dependencies want Node 22 and would make every `npm ci` on Node 20 print EBADENGINE. The
 * package and its lock sit beside this file; they are installed under node_modules/.cache, so
 * a clean install of the project starts without them and `npm ci` of the project drops them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Checks of one scenario, as the CLI's summary counts them (SUCCESS and FAILURE only). */
export type Checks = { passed: number; failed: number };

const MANIFEST = ['package.json', 'package-lock.json'];
const CLI_IN_PACKAGE = 'node_modules/@modelcontextprotocol/conformance/dist/index.js';
/** 0.2.x, installed beside 0.1.x under an npm alias: the suite with the 2026-07-28 requirement set. */
const CLI_2026_IN_PACKAGE = 'node_modules/conformance-2026/dist/index.js';

/** The entry points of both installed CLIs. */
export type ConformanceClis = Readonly<{ v2025: string; v2026: string }>;
const SUITE_TIMEOUT_MS = 600_000;

/**
 * Installs the CLI from scripts/conformance-cli's lock unless that lock is installed already
 * (a stamp holds the hash of package.json and lock), and returns the path of its entry point.
 * Plain npm with Node 20 is fine for the install: the engine warnings it would print are about
 * the Node that runs the CLI, which is 22 (see runConformanceSuite), so they are kept quiet.
 */
export const installConformanceCli = (root: string): ConformanceClis => {
  const source = join(root, 'scripts/conformance-cli');
  const cache = join(root, 'node_modules/.cache/gatehouse-conformance');
  const cli = join(cache, CLI_IN_PACKAGE);
  const clis = { v2025: cli, v2026: join(cache, CLI_2026_IN_PACKAGE) };
  const stampFile = join(cache, '.installed');
  const hash = createHash('sha256');
  for (const file of MANIFEST) hash.update(readFileSync(join(source, file)));
  const stamp = hash.digest('hex');
  if (existsSync(cli) && existsSync(clis.v2026) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return clis;

  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  for (const file of MANIFEST) copyFileSync(join(source, file), join(cache, file));
  const npm = spawnSync(
    'npm',
    ['ci', '--prefix', cache, '--no-audit', '--no-fund', '--ignore-scripts', '--engine-strict=false', '--loglevel=error'],
    { cwd: cache, encoding: 'utf8' },
  );
  if (npm.error) throw npm.error;
  if (npm.status !== 0) throw new Error(`npm ci of the conformance CLI exited ${npm.status}:\n${npm.stdout}${npm.stderr}`);
  writeFileSync(stampFile, stamp);
  return clis;
};

type CliRun = Readonly<{ output: string; code: number | null; signal: NodeJS.Signals | null }>;

/**
 * The CLI on Node 22 with `args`; `onOutput` sees the output so far after every chunk, and may
 * stop the run (the whole process group: npx and the Node it starts). Async: the gateway under
 * test may run in this process.
 */
const runCli = (cli: string, args: readonly string[], onOutput?: (output: string, stop: () => void) => void): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const child = spawn('npx', ['-y', 'node@22', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: onOutput !== undefined });
    const stop = (): void => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    };
    let text = '';
    const take = (chunk: Buffer): void => {
      text += chunk.toString();
      onOutput?.(text, stop);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), SUITE_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (exitCode, exitSignal) => {
      clearTimeout(timer);
      resolve({ output: text, code: exitCode, signal: exitSignal });
    });
  });

/**
 * The checks of each scenario from the CLI's summary. Throws when the output and exit do not add
 * up (killed, crashed, fewer scenarios summarised than `announced` says were run), so that is never a pass.
 */
const summarise = ({ output, code, signal }: CliRun, url: string, announced: RegExp): Map<string, Checks> => {
  const fail = (why: string): never => {
    throw new Error(`conformance CLI against ${url}: ${why}\n${output.slice(-4000)}`);
  };
  if (signal !== null) fail(`killed by ${signal}`);
  const scenarios = announced.exec(output);
  const summary = output.split('=== SUMMARY ===')[1];
  if (!scenarios || summary === undefined) return fail('no suite summary printed');

  const results = new Map<string, Checks>();
  for (const match of summary.matchAll(/^[✓✗] (\S+): (\d+) passed, (\d+) failed$/gmu)) {
    results.set(match[1], { passed: Number(match[2]), failed: Number(match[3]) });
  }
  if (results.size !== Number(scenarios[1])) fail(`${scenarios[1]} scenarios announced, ${results.size} summarised`);
  // A requirement set lists what it runs without scoring (extensions, pending): the exit code ignores those.
  const unscored = new Set([...(summary.split(/^Not scored/m)[1] ?? '').matchAll(/^\s+[✓✗] (\S+) \(/gmu)].map((match) => match[1]));
  const failedChecks = [...results].some(([scenario, checks]) => checks.failed > 0 && !unscored.has(scenario));
  if ((code === 0) === failedChecks) fail(`exit code ${code} does not match the summary`);
  return results;
};

/**
 * Runs the server scenarios of the suite against `url` with Node 22 and returns the checks of
 * each: by default every one (`--suite all`, pending ones included); with `['--requirements',
 * '2026-07-28']` exactly what that revision requires (plus the unscored ones it runs for
 * visibility; the exit code then speaks for the scored ones only).
 */
export const runConformanceSuite = async (cli: string, url: string, selection: readonly string[] = ['--suite', 'all']): Promise<Map<string, Checks>> =>
  summarise(await runCli(cli, ['server', '--url', url, ...selection]), url, /^Running (?:all suite|requirements \S+) \((\d+) scenarios\)/m);

export type AuthorizationSuiteOptions = Readonly<{
  /** The authorization server's issuer. */
  issuer: string;
  /** A client registered with http://127.0.0.1:<callbackPort>/callback as its redirect URI. */
  clientId: string;
  callbackPort: number;
  /** The RFC 8707 resource the suite names in its requests; without it, it names none. */
  resource?: string;
  /**
   * The person at the browser: given the authorization URL the suite prints, signs in and allows,
   * so that the browser lands on the suite's callback server. Called once.
   */
  authorize: (authorizationUrl: URL) => Promise<void>;
}>;

/**
 * The suite's `authorization` command (0.2.x) against an authorization server: every scenario,
 * `authorization-code-grant` included, which prints the URL a person opens and waits for the
 * callback (`authorize` does the person's part).
 */
export const runAuthorizationSuite = async (cli: string, options: AuthorizationSuiteOptions): Promise<Map<string, Checks>> => {
  const args = ['authorization', '--url', options.issuer, '--client-id', options.clientId, '--port', String(options.callbackPort), ...(options.resource ? ['--resource', options.resource] : [])];
  let asked: Promise<void> | undefined;
  const run = await runCli(cli, args, (output, stop) => {
    // The URL is printed whole on a line of its own; the callback server is listening once it says so.
    const url = /^(\S+\?response_type=code&\S+)$/m.exec(output)?.[1];
    if (url === undefined || asked !== undefined || !output.includes('Callback server started')) return;
    asked = options.authorize(new URL(url));
    // Without its callback the suite would wait five minutes: stop it, and report why below.
    asked.catch(stop);
  });
  await asked;
  return summarise(run, options.issuer, /^Running test \((\d+) scenarios\)/m);
};
