import { fixtureServer, stdioSpec, textOf, waitForHealth } from '../../../test/fixtures/upstream-fixtures';
import { UpstreamSupervisor, type UpstreamHealth } from '.';
import * as ownedConnection from './owned-connection';

const CRASH = fixtureServer('crash-server.js');

describe('a stdio upstream that crashes', () => {
  const supervisor = new UpstreamSupervisor(stdioSpec(CRASH, [], { name: 'crashy' }), {
    backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
  });

  afterAll(() => supervisor.close());

  it('fails the request that was in flight, naming the server', async () => {
    await supervisor.connect();

    await expect(supervisor.callTool({ name: 'crash', arguments: {} })).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringContaining('upstream "crashy"'),
    });
  });

  it('shows the crash in its health: restarting, the error, the stderr tail', () => {
    const health = supervisor.health();

    // The restart may already be under way; the crash is recorded either way.
    expect(['restarting', 'connecting', 'ready']).toContain(health.status);
    expect(health.lastError).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'upstream "crashy": process exited with code 1 unexpectedly',
    });
    expect(health.stderrTail).toContain('crash-server: crash tool called');
  });

  it('restarts after the backoff and serves again from a new process', async () => {
    const before = supervisor.health();

    const ready = await waitForHealth(supervisor, (health) => health.status === 'ready' && health.restarts === 1, 5000);
    const result = await supervisor.callTool({ name: 'echo', arguments: { message: 'back' } });

    expect(ready.pid).not.toBeNull();
    expect(ready.pid).not.toBe(before.pid);
    expect(textOf(result)).toBe(`echo: back (pid ${ready.pid})`);
  });
});

describe('a stdio upstream that dies on every start', () => {
  const initialDelayMs = 50;
  const supervisor = new UpstreamSupervisor(stdioSpec(CRASH, ['--exit-on-start'], { name: 'doomed' }), {
    backoff: { initialDelayMs, maxDelayMs: 400 },
  });
  const attempts: number[] = [];
  const failures: number[] = [];
  let previousStatus = supervisor.health().status;
  let previousError = supervisor.health().lastError;
  const stopRecording = supervisor.onHealthChange((health: UpstreamHealth) => {
    if (health.status === 'connecting' && previousStatus !== 'connecting') attempts.push(Date.now());
    // A failed attempt's error is recorded just before its retry is scheduled.
    if (health.lastError !== previousError) failures.push(Date.now());
    previousStatus = health.status;
    previousError = health.lastError;
  });

  afterAll(async () => {
    stopRecording();
    await supervisor.close();
  });

  it('reports the failed connect to the first caller', async () => {
    await expect(supervisor.connect()).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'upstream "doomed": process exited with code 2 during initialize',
    });
    expect(supervisor.health()).toMatchObject({ status: 'unhealthy' });
    expect(supervisor.health().stderrTail).toContain('crash-server: exiting on start');
  });

  it('retries with exponentially growing delays', async () => {
    await waitForHealth(supervisor, (health) => health.restarts >= 4 && health.status === 'unhealthy', 20_000);

    // From each failed attempt to the next: the backoff alone, not how long a start took (the
    // first attempt also asks server/discover, which this server exits on, and starts it again).
    const gaps = attempts.slice(1, 5).map((at, index) => at - failures[index]);
    // Each gap is at least the backoff delay (50, 100, 200, 400 ms); timers never fire early
    // by more than a millisecond of rounding.
    gaps.forEach((gap, index) => expect(gap).toBeGreaterThanOrEqual(initialDelayMs * 2 ** index - 2));
    expect(gaps[3]).toBeGreaterThan(gaps[0]);
  });

  it('stops retrying once closed', async () => {
    await supervisor.close();
    const restarts = supervisor.health().restarts;

    expect(supervisor.health()).toMatchObject({ status: 'stopped', nextAttemptAt: null });
    await expect(supervisor.ping()).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED' });
    expect(supervisor.health().restarts).toBe(restarts);
  });
});

describe('a stdio upstream that exits after a number of calls', () => {
  const supervisor = new UpstreamSupervisor(stdioSpec(CRASH, ['--exit-after', '2']), {
    backoff: { initialDelayMs: 50 },
  });

  afterAll(() => supervisor.close());

  it('serves, crashes on the second call, and serves again after a restart', async () => {
    const first = await supervisor.callTool({ name: 'echo', arguments: { message: 'one' } });
    await expect(supervisor.callTool({ name: 'echo', arguments: { message: 'two' } })).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
    await waitForHealth(supervisor, (health) => health.status === 'ready' && health.restarts === 1, 5000);
    const third = await supervisor.callTool({ name: 'echo', arguments: { message: 'three' } });

    expect(textOf(first)).toMatch(/^echo: one/);
    expect(textOf(third)).toMatch(/^echo: three/);
  });
});

describe('backoff after a stable period', () => {
  const INITIAL_DELAY_MS = 200;
  /**
   * Each delay as the runtime reports it: from the error's time to the next attempt's. It is the
   * policy's delay plus the few ms between recording the error and scheduling the retry, which
   * grow under load, so each is checked against the policy, not against the one before it.
   */
  const restartDelays = async (stableAfterMs: number): Promise<number[]> => {
    const supervisor = new UpstreamSupervisor(stdioSpec(CRASH), { backoff: { initialDelayMs: INITIAL_DELAY_MS, stableAfterMs } });
    const delays: number[] = [];
    try {
      for (let crash = 1; crash <= 3; crash++) {
        await supervisor.callTool({ name: 'crash', arguments: {} }).catch(() => undefined);
        const restarting = await waitForHealth(supervisor, (health) => health.status === 'restarting');
        delays.push(Date.parse(restarting.nextAttemptAt!) - Date.parse(restarting.lastError!.at));
        await waitForHealth(supervisor, (health) => health.status === 'ready' && health.restarts === crash, 5000);
      }
    } finally {
      await supervisor.close();
    }
    return delays;
  };

  it('keeps doubling while the server crashes soon after each restart', async () => {
    const delays = await restartDelays(60_000);

    [1, 2, 4].forEach((factor, crash) => {
      expect(delays[crash]).toBeGreaterThanOrEqual(INITIAL_DELAY_MS * factor);
      expect(delays[crash]).toBeLessThan(INITIAL_DELAY_MS * factor + INITIAL_DELAY_MS / 2);
    });
  });

  it('starts again from the initial delay once a connection has been stable', async () => {
    const delays = await restartDelays(0);

    delays.forEach((delay) => expect(delay).toBeLessThan(INITIAL_DELAY_MS * 2));
  });
});

describe('a stdio upstream whose command does not exist', () => {
  it('fails as unavailable, saying why, and starts no process', async () => {
    const supervisor = new UpstreamSupervisor(
      stdioSpec('ignored', [], { name: 'typo', command: 'gatehouse-no-such-command', args: [] }),
      { backoff: { initialDelayMs: 60_000 } },
    );
    try {
      await expect(supervisor.connect()).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        message: 'upstream "typo": could not start "gatehouse-no-such-command": ENOENT',
      });
      expect(supervisor.health()).toMatchObject({ status: 'unhealthy', pid: null });
    } finally {
      await supervisor.close();
    }
  });
});

describe('a connection closed in the background (idle) whose close fails', () => {
  it('is logged with the server id and none of the spec, and the process goes on', async () => {
    let warned!: (entry: unknown[]) => void;
    const logged = new Promise<unknown[]>((resolve) => (warned = resolve));
    const supervisor = new UpstreamSupervisor(stdioSpec(CRASH, [], { name: 'idle', env: { API_KEY: 'the-secret' } }), { idleTimeoutMs: 100, log: (...entry) => warned(entry) });
    try {
      await supervisor.connect();
      // As when a process group could not be signalled: the first close the supervisor starts on its own
      // does its work (the process ends) and then fails.
      const closeOwned = ownedConnection.closeOwned;
      const close = jest.spyOn(ownedConnection, 'closeOwned').mockImplementationOnce(async (owned) => {
        await closeOwned(owned);
        throw new Error('kill EPERM');
      });

      await supervisor.callTool({ name: 'echo', arguments: { message: 'once' } });

      expect(await logged).toEqual(['warn', 'upstream connection not closed cleanly', { serverId: supervisor.spec.id, error: 'kill EPERM' }]);
      expect(close).toHaveBeenCalledTimes(1);
      close.mockRestore();
    } finally {
      await supervisor.close();
    }
  }, 15_000);
});
