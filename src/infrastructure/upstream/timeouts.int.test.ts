import { fixtureServer, isPidRunning, stdioSpec } from '../../../test/fixtures/upstream-fixtures';
import { ChildProcessRegistry, UpstreamSupervisor, type UpstreamSpec } from '.';
import { DiscoveryMemory } from './discovery-memory';

/** Remembers every pid ever registered, so a test can check each one is gone afterwards. */
class RecordingRegistry extends ChildProcessRegistry {
  readonly seen: number[] = [];
  override add(serverId: string, pid: number): void {
    this.seen.push(pid);
    super.add(serverId, pid);
  }
}

const HUNG = fixtureServer('hung-server.js');

describe('an upstream that never answers initialize', () => {
  const processes = new RecordingRegistry();
  const spec = stdioSpec(HUNG, [], { name: 'stuck-one' });
  const supervisor = new UpstreamSupervisor(spec, {
    connectTimeoutMs: 400,
    processes,
    terminateGraceMs: 500,
    backoff: { initialDelayMs: 60_000 },
  });

  afterAll(() => supervisor.close());

  it('fails the first request with a timeout naming the server, within the connect timeout', async () => {
    const started = Date.now();

    await expect(supervisor.listTools()).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      serverName: 'stuck-one',
      message: expect.stringContaining('upstream "stuck-one"'),
    });

    // connect timeout + stdin grace + SIGTERM (the fixture ignores stdin EOF)
    expect(Date.now() - started).toBeLessThan(400 + 250 + 500 + 500);
    expect(supervisor.health()).toMatchObject({ status: 'unhealthy', lastError: { code: 'UPSTREAM_TIMEOUT' } });
  });

  it('has killed the hung process', () => {
    expect(processes.seen).toHaveLength(1);
    expect(processes.count(spec.id)).toBe(0);
    expect(isPidRunning(processes.seen[0])).toBe(false);
  });

  it('fails fast while the next attempt waits out its backoff', async () => {
    const started = Date.now();

    await expect(supervisor.ping()).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringContaining('no answer to initialize'),
    });

    expect(Date.now() - started).toBeLessThan(100);
    expect(supervisor.health().nextAttemptAt).not.toBeNull();
  });
});

describe('an upstream that hangs only on tools/list', () => {
  const spec = stdioSpec(HUNG, ['--hang-on', 'tools/list'], { name: 'slow-lister', timeoutMs: 300 });
  const supervisor = new UpstreamSupervisor(spec, { connectTimeoutMs: 5000 });

  afterAll(() => supervisor.close());

  it('times out that request after the spec timeout, naming the server and the method', async () => {
    const started = Date.now();

    await expect(supervisor.listTools()).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      message: 'upstream "slow-lister": no answer to tools/list within 300 ms',
    });

    expect(Date.now() - started).toBeGreaterThanOrEqual(295);
  });

  it('still serves other requests on the same connection', async () => {
    const result = await supervisor.callTool({ name: 'noop', arguments: {} });

    expect(result.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(supervisor.health()).toMatchObject({ status: 'ready', lastError: { code: 'UPSTREAM_TIMEOUT' } });
  });

  it('lets a per-request timeout override the spec', async () => {
    await expect(supervisor.listTools({ timeoutMs: 50 })).rejects.toMatchObject({
      message: 'upstream "slow-lister": no answer to tools/list within 50 ms',
    });
  });

  it('cancels a request when its signal aborts', async () => {
    const controller = new AbortController();
    const pending = supervisor.listTools({ signal: controller.signal, timeoutMs: 10_000 });
    setTimeout(() => controller.abort('client went away'), 50);

    await expect(pending).rejects.toMatchObject({ code: 'UPSTREAM_CANCELLED' });
  });
});

describe('closing a supervisor while its upstream is still connecting', () => {
  const waitForSpawn = async (processes: RecordingRegistry): Promise<void> => {
    for (let i = 0; i < 100 && processes.seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(processes.seen).toHaveLength(1);
  };

  it.each([
    ['asked server/discover (its window is 5 s of the 20 s)', () => undefined],
    ['initialising, as one known to ignore server/discover', (memory: DiscoveryMemory, spec: UpstreamSpec) => memory.note(spec, 'ignores')],
  ])('gives up the connect at once when %s, and leaves no process', async (_what, remember) => {
    const processes = new RecordingRegistry();
    const spec = stdioSpec(HUNG, [], { name: 'stuck-two' });
    const discoveryMemory = new DiscoveryMemory();
    remember(discoveryMemory, spec);
    const supervisor = new UpstreamSupervisor(spec, { connectTimeoutMs: 20_000, processes, terminateGraceMs: 500, discoveryMemory });
    try {
      const pending = supervisor.listTools();
      pending.catch(() => undefined);
      await waitForSpawn(processes);

      const started = Date.now();
      await supervisor.close();

      // stdin grace + SIGTERM (the fixture ignores stdin EOF) + margin, far below the 20 s connect timeout
      expect(Date.now() - started).toBeLessThan(250 + 500 + 1_500);
      await expect(pending).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED' });
      expect(processes.count(spec.id)).toBe(0);
      expect(isPidRunning(processes.seen[0])).toBe(false);
    } finally {
      await supervisor.close();
    }
  });

  it('starts no process when closed in the same tick as the request that would connect', async () => {
    const processes = new RecordingRegistry();
    const supervisor = new UpstreamSupervisor(stdioSpec(HUNG, [], { name: 'stuck-three' }), { connectTimeoutMs: 20_000, processes });
    const pending = supervisor.listTools();
    pending.catch(() => undefined);
    const started = Date.now();
    await supervisor.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(pending).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED' });
    expect(processes.seen).toEqual([]);
  });
});
