/**
 * A Streamable HTTP upstream is asked `server/discover` before anything else. A 2025 server that
 * never answers the question (it leaves the POST open) is initialised once the window has passed,
 * and is not asked again by its later connections until its configuration changes. A 2026 server
 * that answers after the window is spoken to as 2026-07-28 from then on. Real fixture processes on
 * loopback; the fixture counts the questions it left unanswered.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { fixtureServer, httpSpec, startHttpServer, textOf, waitForHealth, type RunningHttpServer } from '../../../test/fixtures/upstream-fixtures';
import { ChildProcessRegistry, UpstreamPool, UpstreamSupervisor } from '.';
import { DiscoveryMemory, SILENCE_REMEMBERED_MS, discoverTimeoutMs } from './discovery-memory';
import { closeOwned, openOwnedConnection } from './owned-connection';
import { StderrTail } from './stderr-tail';
import { MODERN_UPSTREAM_VERSION } from './modern-connection';
import { DEFAULT_CLIENT_CAPABILITIES, DEFAULT_CLIENT_INFO } from './supervisor-options';

const FAST = fixtureServer('fast-server.js');

/** A timer may fire a few ms early as Date.now counts them. */
const TIMER_SLACK_MS = 5;

describe('a Streamable HTTP upstream that ignores server/discover', () => {
  let server: RunningHttpServer;
  const connectTimeoutMs = 8_000;
  const window = discoverTimeoutMs(connectTimeoutMs);

  beforeAll(async () => {
    server = await startHttpServer([FAST, '--http', '0', '--ignore', 'server/discover']);
  });

  afterAll(() => server.stop());

  const fixtureStats = async (): Promise<{ ignored: number; initializeCount: number }> => (await (await fetch(`${server.baseUrl}/__fixture/stats`)).json()) as { ignored: number; initializeCount: number };
  const ignored = async (): Promise<number> => (await fixtureStats()).ignored;

  it('is initialised once the window has passed, and its other connections are not asked until its configuration changes', async () => {
    const pool = new UpstreamPool({ connection: { connectTimeoutMs } });
    const spec = { ...httpSpec(`${server.baseUrl}/mcp`, 'streamable_http', { name: 'ignores-discover' }), isolation: 'per_session' as const };
    try {
      const first = pool.get(spec, 'session-1');
      let started = Date.now();
      await first.connect();
      expect(Date.now() - started).toBeGreaterThanOrEqual(window - TIMER_SLACK_MS);
      expect(first.health()).toMatchObject({ status: 'ready', protocolVersion: LATEST_PROTOCOL_VERSION });
      expect(textOf(await first.callTool({ name: 'echo', arguments: { message: 'hi' } }))).toBe('hi');
      expect(await ignored()).toBe(1);

      const second = pool.get(spec, 'session-2');
      await second.connect();
      expect(second.health().protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
      expect(await ignored()).toBe(1);

      await Promise.all([pool.releaseSession('session-1'), pool.releaseSession('session-2')]);
      const changed = { ...spec, headers: { 'X-Changed': 'yes' } };
      await pool.reconfigure(changed);
      const third = pool.get(changed, 'session-3');
      started = Date.now();
      await third.connect();
      expect(Date.now() - started).toBeGreaterThanOrEqual(window - TIMER_SLACK_MS);
      expect(await ignored()).toBe(2);
    } finally {
      await pool.closeAll();
    }
  });

  it('is asked again once its silence is ten minutes old, as it may only have been slow', async () => {
    let clock = 1_000_000;
    const memory = new DiscoveryMemory({ now: () => clock });
    const settings = {
      clientInfo: DEFAULT_CLIENT_INFO, capabilities: DEFAULT_CLIENT_CAPABILITIES, connectTimeoutMs: 4_000, defaultRequestTimeoutMs: 30_000,
      stderrTail: new StderrTail(), processes: new ChildProcessRegistry(),
    };
    const spec = httpSpec(`${server.baseUrl}/mcp`, 'streamable_http', { name: 'slow-discover' });
    const connect = async (): Promise<void> => {
      const owned = await openOwnedConnection({ spec, settings, handlers: {}, slotWaitTimeoutMs: 1_000, stopSignal: new AbortController().signal, onLost: () => undefined, discovery: memory });
      await closeOwned(owned);
    };
    const before = await ignored();
    await connect();
    expect([await ignored(), memory.recall(spec)]).toEqual([before + 1, 'ignores']);
    clock += SILENCE_REMEMBERED_MS - 1;
    await connect();
    expect(await ignored()).toBe(before + 1);
    clock += 1;
    expect(memory.recall(spec)).toBeUndefined();
    await connect();
    expect([await ignored(), memory.recall(spec)]).toEqual([before + 2, 'ignores']);
    // A process that exited on the question is remembered until its configuration changes.
    const exits = { ...spec, name: 'exits' };
    memory.note(exits, 'exits');
    clock += 100 * SILENCE_REMEMBERED_MS;
    expect(memory.recall(exits)).toBe('exits');
  });

  it('is given up at once, in its discover window, when its supervisor closes', async () => {
    const supervisor = new UpstreamSupervisor(httpSpec(`${server.baseUrl}/mcp`, 'streamable_http', { name: 'closed-while-asked' }), { connectTimeoutMs: 20_000 });
    try {
      const { initializeCount } = await fixtureStats();
      const before = await ignored();
      const pending = supervisor.listTools();
      pending.catch(() => undefined);
      for (let i = 0; i < 100 && (await ignored()) === before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await ignored()).toBe(before + 1);

      const started = Date.now();
      await supervisor.close();

      // The window is 5 s of the 20 s connect timeout, and no initialize follows it.
      expect(Date.now() - started).toBeLessThan(1_500);
      await expect(pending).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await fixtureStats()).initializeCount).toBe(initializeCount);
    } finally {
      await supervisor.close();
    }
  });
});

describe('a Streamable HTTP upstream that answers server/discover after the window', () => {
  const connectTimeoutMs = 4_000;
  const window = discoverTimeoutMs(connectTimeoutMs);
  let server: RunningHttpServer;

  beforeAll(async () => {
    server = await startHttpServer([fixtureServer('fast-server-v2.js'), '--http', '0', '--discover-after', String(window + 700)]);
  });

  afterAll(() => server.stop());

  it('is initialised as 2025 at the window, then spoken to as 2026-07-28 once its answer comes, the call in flight on the 2025 session answered', async () => {
    const pool = new UpstreamPool({ connection: { connectTimeoutMs } });
    const supervisor = pool.get(httpSpec(`${server.baseUrl}/mcp`, 'streamable_http', { name: 'slow-discover-v2' }));
    try {
      const started = Date.now();
      await supervisor.connect();
      expect(Date.now() - started).toBeGreaterThanOrEqual(window - TIMER_SLACK_MS);
      expect(supervisor.health().protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
      const inFlight = supervisor.callTool({ name: 'echo', arguments: { message: 'slow', delayMs: 1_500 } });

      await waitForHealth(supervisor, (health) => health.protocolVersion === MODERN_UPSTREAM_VERSION, connectTimeoutMs);
      expect(textOf(await inFlight)).toBe('slow');
      expect(JSON.parse(textOf(await supervisor.callTool({ name: 'client_envelope', arguments: {} })))).toMatchObject({ era: 'modern' });
      expect(supervisor.health()).toMatchObject({ status: 'ready', restarts: 0 });
    } finally {
      await pool.closeAll();
    }
  });

  it('forgets the silence once the late answer comes, and closes that 2026 connection with the 2025 one it came too late for, also when its answer came first (a superseded connect)', async () => {
    const settings = {
      clientInfo: DEFAULT_CLIENT_INFO, capabilities: DEFAULT_CLIENT_CAPABILITIES, connectTimeoutMs, defaultRequestTimeoutMs: 30_000,
      stderrTail: new StderrTail(), processes: new ChildProcessRegistry(),
    };
    const spec = httpSpec(`${server.baseUrl}/mcp`, 'streamable_http', { name: 'slow-discover-superseded' });
    const memory = new DiscoveryMemory();
    const owned = await openOwnedConnection({ spec, settings, handlers: {}, slotWaitTimeoutMs: 1_000, stopSignal: new AbortController().signal, onLost: () => undefined, discovery: memory });
    expect(memory.recall(spec)).toBe('ignores');
    const modern = await owned.late?.answer;
    expect(modern).toBeDefined();
    // Its answer clears the memory of its silence: the server's other connections ask again.
    expect(memory.recall(spec)).toBeUndefined();
    // Nobody adopted it (the supervisor's connect was superseded): closing what was opened closes it too.
    await closeOwned(owned);
    await expect(modern!.callTool({ name: 'echo', arguments: { message: 'after' } })).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED' });
  });
});
