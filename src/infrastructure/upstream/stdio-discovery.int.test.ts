/**
 * stdio upstreams are asked `server/discover` on the one process that then serves them: a 2026
 * server (SDK v2) is spoken to statelessly, everything else is initialised as before. Real
 * processes throughout; a registry that remembers every pid it saw counts the spawns.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { fixtureServer, isPidRunning, stdioSpec, textOf, waitForHealth } from '../../../test/fixtures/upstream-fixtures';
import { ChildProcessRegistry, UpstreamPool, UpstreamSupervisor } from '.';
import { MODERN_UPSTREAM_VERSION } from './modern-connection';
import { SdkUpstreamConnection } from './sdk-connection';
import { createStdioTransport } from './session';
import { StderrTail } from './stderr-tail';
import { DISCOVER_TIMEOUT_MS, DiscoveryMemory, discoverTimeoutMs } from './discovery-memory';
import { discoverOverStdio, openStdioConnection } from './stdio-discovery';
import { DEFAULT_CLIENT_CAPABILITIES, DEFAULT_CLIENT_INFO } from './supervisor-options';

const FAST_V2 = fixtureServer('fast-server-v2.js');
const CRASH = fixtureServer('crash-server.js');
const HUNG = fixtureServer('hung-server.js');

/** A timer may fire a few ms early as Date.now counts them. */
const TIMER_SLACK_MS = 5;

/** Remembers every pid ever registered, so a test can count spawns and check each one is gone. */
class RecordingRegistry extends ChildProcessRegistry {
  readonly seen: number[] = [];
  override add(serverId: string, pid: number): void {
    this.seen.push(pid);
    super.add(serverId, pid);
  }
}

const supervised: UpstreamSupervisor[] = [];
const supervise = (args: [string, ...string[]], processes: ChildProcessRegistry, connectTimeoutMs = 30_000): UpstreamSupervisor => {
  const [script, ...rest] = args;
  const supervisor = new UpstreamSupervisor(stdioSpec(script, rest), { processes, connectTimeoutMs, backoff: { initialDelayMs: 50 } });
  supervised.push(supervisor);
  return supervisor;
};

afterAll(() => Promise.all(supervised.map((supervisor) => supervisor.close())));

const expectAllGone = (processes: RecordingRegistry): void => {
  expect(processes.total()).toBe(0);
  for (const pid of processes.seen) expect(isPidRunning(pid)).toBe(false);
};

describe('a 2026-07-28 stdio server (SDK v2, serveStdio)', () => {
  const processes = new RecordingRegistry();
  const supervisor = supervise([FAST_V2, '--stdio', '--modern-only'], processes);

  it('is spoken to statelessly on the one process it was asked on, with the capabilities of the client each request is for', async () => {
    await supervisor.connect();
    expect(supervisor.health()).toMatchObject({ status: 'ready', protocolVersion: MODERN_UPSTREAM_VERSION });
    expect(processes.seen).toEqual([supervisor.health().pid]);

    const tools = await supervisor.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo', 'client_envelope', 'whoami', 'bump', 'confirm']);
    expect(textOf(await supervisor.callTool({ name: 'echo', arguments: { message: 'over the pipe' } }))).toBe('over the pipe');
    const { pid } = JSON.parse(textOf(await supervisor.callTool({ name: 'whoami', arguments: {} }))) as { pid: number };
    expect(pid).toBe(supervisor.health().pid);

    const client = { capabilities: { elicitation: { form: {} } }, info: { name: 'someone-downstream', version: '3.0.0' } };
    const seen = JSON.parse(textOf(await supervisor.callTool({ name: 'client_envelope', arguments: {} }, { client }))) as unknown;
    expect(seen).toEqual({ era: 'modern', capabilities: client.capabilities, clientInfo: client.info });
  });

  it('a process that dies is noticed, restarted once, and asked again', async () => {
    const before = supervisor.health();
    process.kill(before.pid!, 'SIGKILL');
    await waitForHealth(supervisor, (health) => health.restarts === before.restarts + 1 && health.status === 'ready' && health.pid !== before.pid, 20_000);
    expect(supervisor.health()).toMatchObject({ protocolVersion: MODERN_UPSTREAM_VERSION, lastError: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(supervisor.health().lastError?.message).toContain('was killed by SIGKILL unexpectedly');
    expect(textOf(await supervisor.callTool({ name: 'echo', arguments: { message: 'again' } }))).toBe('again');
    expect(processes.seen).toHaveLength(2);
  });

  it('leaves no process behind when closed', async () => {
    await supervisor.close();
    expectAllGone(processes);
  });
});

describe('2025-11-25 stdio servers', () => {
  it('one that answers server/discover with an error (SDK v1) is initialised on the same process, waiting for nothing else', async () => {
    const processes = new RecordingRegistry();
    const supervisor = supervise([CRASH], processes);
    const started = Date.now();
    await supervisor.connect();
    // The probe's error answer comes as fast as initialize's would: nowhere near the window.
    expect(Date.now() - started).toBeLessThan(DISCOVER_TIMEOUT_MS);
    expect(supervisor.health()).toMatchObject({ status: 'ready', protocolVersion: LATEST_PROTOCOL_VERSION });
    expect(textOf(await supervisor.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe(`echo: hi (pid ${supervisor.health().pid})`);
    expect(processes.seen).toEqual([supervisor.health().pid]);
    await supervisor.close();
    expectAllGone(processes);
  });

  it('one that never answers server/discover is initialised on the same process once the window (a quarter of the connect timeout here) has passed', async () => {
    const processes = new RecordingRegistry();
    // A 2 s window: a node process that takes over a second to start under load still answers initialize in time.
    const connectTimeoutMs = 8_000;
    const supervisor = supervise([HUNG, '--hang-on', 'server/discover'], processes, connectTimeoutMs);
    const started = Date.now();
    await supervisor.connect();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(discoverTimeoutMs(connectTimeoutMs) - TIMER_SLACK_MS);
    expect(took).toBeLessThan(connectTimeoutMs);
    expect(supervisor.health()).toMatchObject({ status: 'ready', protocolVersion: LATEST_PROTOCOL_VERSION });
    expect(textOf(await supervisor.callTool({ name: 'noop', arguments: {} }))).toBe('ok');
    expect(processes.seen).toEqual([supervisor.health().pid]);
    await supervisor.close();
    expectAllGone(processes);
  });

  describe('one that ignores server/discover, once found to', () => {
    /** The lines the fixture writes to stderr for each server/discover it leaves unanswered. */
    const questions = (supervisor: UpstreamSupervisor): number => (supervisor.health().stderrTail.match(/not answering server\/discover/g) ?? []).length;
    const connectTimeoutMs = 12_000;
    const window = discoverTimeoutMs(connectTimeoutMs);

    it('is not asked again when its process is restarted, nor by another connection of the server (a per-session one), until its configuration changes', async () => {
      const pool = new UpstreamPool({ connection: { connectTimeoutMs, backoff: { initialDelayMs: 50 } } });
      const pids: number[] = [];
      const spec = { ...stdioSpec(HUNG, ['--hang-on', 'server/discover']), isolation: 'per_session' as const };
      try {
        const first = pool.get(spec, 'session-1');
        let started = Date.now();
        await first.connect();
        expect(Date.now() - started).toBeGreaterThanOrEqual(window - TIMER_SLACK_MS);
        expect(questions(first)).toBe(1);
        pids.push(first.health().pid!);

        // Its process dies: the restart initialises at once, without the question.
        const before = first.health();
        process.kill(before.pid!, 'SIGKILL');
        await waitForHealth(first, (health) => health.restarts === before.restarts + 1 && health.status === 'ready', 20_000);
        expect(questions(first)).toBe(1);
        expect(textOf(await first.callTool({ name: 'noop', arguments: {} }))).toBe('ok');
        pids.push(first.health().pid!);

        // Another session's own process (per-session isolation) is not asked either.
        const second = pool.get(spec, 'session-2');
        await second.connect();
        expect([questions(second), second.health().protocolVersion]).toEqual([0, LATEST_PROTOCOL_VERSION]);
        pids.push(second.health().pid!);
        expect(new Set(pids).size).toBe(3);

        // A changed configuration is asked again.
        await Promise.all([pool.releaseSession('session-1'), pool.releaseSession('session-2')]);
        const changed = { ...spec, env: { ...spec.env, GATEHOUSE_TEST_CHANGED: '1' } };
        await pool.reconfigure(changed);
        const third = pool.get(changed, 'session-3');
        started = Date.now();
        await third.connect();
        expect(Date.now() - started).toBeGreaterThanOrEqual(window - TIMER_SLACK_MS);
        expect(questions(third)).toBe(1);
        pids.push(third.health().pid!);
      } finally {
        await pool.closeAll();
      }
      expect(pool.processes.total()).toBe(0);
      for (const pid of pids) expect(isPidRunning(pid)).toBe(false);
    });
  });

  it('one that exits on the unknown request is started again and initialised, and not asked again on its next start', async () => {
    const processes = new RecordingRegistry();
    const supervisor = supervise([CRASH, '--exit-on-unknown'], processes);
    await supervisor.connect();
    expect(supervisor.health()).toMatchObject({ status: 'ready', protocolVersion: LATEST_PROTOCOL_VERSION });
    expect(supervisor.health().stderrTail).toContain('unknown request server/discover');
    const [asked, serving] = processes.seen;
    expect(isPidRunning(asked)).toBe(false);
    expect(supervisor.health().pid).toBe(serving);
    expect(processes.count(supervisor.spec.id)).toBe(1);

    // A crash and its restart: one process this time, and it is not asked (it would exit again).
    const restarts = supervisor.health().restarts;
    await expect(supervisor.callTool({ name: 'crash', arguments: {} })).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    await waitForHealth(supervisor, (health) => health.restarts === restarts + 1 && health.status === 'ready', 20_000);
    expect(processes.seen).toHaveLength(3);
    expect(textOf(await supervisor.callTool({ name: 'echo', arguments: { message: 'x' } }))).toBe(`echo: x (pid ${processes.seen[2]})`);
    await supervisor.close();
    expectAllGone(processes);
  });
});

describe('an answer that comes too late', () => {
  it('a 2026 server asked with no time to answer is initialised as 2025 on the same process, and its late answer is ignored', async () => {
    const processes = new RecordingRegistry();
    const spec = stdioSpec(FAST_V2, ['--stdio']);
    const options = {
      clientInfo: DEFAULT_CLIENT_INFO, capabilities: DEFAULT_CLIENT_CAPABILITIES, connectTimeoutMs: 30_000, defaultRequestTimeoutMs: 30_000,
      stderrTail: new StderrTail(), processes,
    };
    const child = createStdioTransport(spec, options);
    await child.open();
    expect(await discoverOverStdio(child, options, 1)).toEqual({ kind: 'silent' });
    const connection = await SdkUpstreamConnection.open(spec, options, {}, child);
    try {
      expect(connection.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
      expect(textOf(await connection.callTool({ name: 'client_envelope', arguments: {} }))).toContain('"era":"legacy"');
      expect(processes.seen).toEqual([connection.pid]);
    } finally {
      await connection.close();
    }
    expectAllGone(processes);
  });

  it('a 2026 server that starts after the window is initialised as 2025, its late answer kept from the client, and its configuration not remembered as one that ignores the question', async () => {
    const processes = new RecordingRegistry();
    const options = {
      clientInfo: DEFAULT_CLIENT_INFO, capabilities: DEFAULT_CLIENT_CAPABILITIES, connectTimeoutMs: 8_000, defaultRequestTimeoutMs: 30_000,
      stderrTail: new StderrTail(), processes,
    };
    const memory = new DiscoveryMemory();
    const slow = stdioSpec(FAST_V2, ['--stdio', '--start-after', String(discoverTimeoutMs(options.connectTimeoutMs) + 1_000)]);
    const connection = await openStdioConnection(slow, options, {}, memory);
    try {
      expect(connection.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
      expect(textOf(await connection.callTool({ name: 'client_envelope', arguments: {} }))).toContain('"era":"legacy"');
      expect(memory.recall(slow)).toBeUndefined();
    } finally {
      await connection.close();
    }
    // The same wait for a server that never answers is remembered.
    const hung = stdioSpec(HUNG, ['--hang-on', 'server/discover']);
    const ignoring = await openStdioConnection(hung, options, {}, memory);
    await ignoring.close();
    expect([memory.recall(hung), memory.recall(slow)]).toEqual(['ignores', undefined]);
    expectAllGone(processes);
  });
});
