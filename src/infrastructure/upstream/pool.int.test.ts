import { fixtureServer, isPidRunning, stdioSpec, textOf } from '../../../test/fixtures/upstream-fixtures';
import { UpstreamPool, type UpstreamSupervisor } from '.';

const SPAWNING = fixtureServer('spawning-server.js');
const CRASH = fixtureServer('crash-server.js');

type Family = { pid: number; grandchildPid: number };

const familyOf = async (connection: UpstreamSupervisor): Promise<Family> =>
  JSON.parse(textOf(await connection.callTool({ name: 'family', arguments: {} }))) as Family;

describe('a pool in shared mode', () => {
  const pool = new UpstreamPool();

  afterAll(() => pool.closeAll());

  it('hands every session the same connection of a server', () => {
    const spec = stdioSpec(CRASH);

    expect(pool.get(spec, 'session-a')).toBe(pool.get(spec, 'session-b'));
    expect(pool.get(spec)).toBe(pool.get(spec, 'session-a'));
  });

  it('reconnects on reconfigure only when the way to reach the server changed', async () => {
    const spec = stdioSpec(CRASH, [], { name: 'before' });
    const connection = pool.get(spec);
    const echo = async () => textOf(await connection.callTool({ name: 'echo', arguments: { message: 'x' } }));
    const firstPid = (await connection.ping(), connection.health().pid!);

    await pool.reconfigure({ ...spec, name: 'renamed', timeoutMs: 1234 });
    expect(connection.health()).toMatchObject({ pid: firstPid, serverName: 'renamed' });

    await pool.reconfigure({ ...spec, name: 'renamed', env: { CHANGED: '1' } });
    const reply = await echo();

    expect(isPidRunning(firstPid)).toBe(false);
    expect(connection.health().pid).not.toBe(firstPid);
    expect(reply).toBe(`echo: x (pid ${connection.health().pid})`);
  });

  it('release() stops every process of that server', async () => {
    const spec = stdioSpec(SPAWNING);
    const family = await familyOf(pool.get(spec));

    await pool.release(spec.id);

    expect(pool.liveProcessCount(spec.id)).toBe(0);
    expect([family.pid, family.grandchildPid].filter(isPidRunning)).toEqual([]);
  });
});

describe('a pool isolating sessions', () => {
  it('never runs more processes per server than the cap, and leaks none', async () => {
    const cap = 3;
    const sessions = 10;
    const pool = new UpstreamPool({
      isolation: 'per_session',
      maxConnectionsPerServer: cap,
      sessionIdleTimeoutMs: 50,
      connection: { slotWaitTimeoutMs: 15_000 },
    });
    const spec = stdioSpec(SPAWNING);
    let mostAlive = 0;
    const register = pool.processes.add.bind(pool.processes);
    pool.processes.add = (serverId, pid) => {
      register(serverId, pid);
      mostAlive = Math.max(mostAlive, pool.liveProcessCount(serverId));
    };
    const families: Family[] = [];
    try {
      const ids = Array.from({ length: sessions }, (_, index) => `session-${index}`);
      families.push(...(await Promise.all(ids.map((id) => familyOf(pool.get(spec, id))))));

      expect(new Set(families.map((family) => family.pid)).size).toBe(sessions);
      expect(mostAlive).toBe(cap);
      await Promise.all(ids.map((id) => pool.releaseSession(id)));
    } finally {
      await pool.closeAll();
    }

    expect(pool.liveProcessCount(spec.id)).toBe(0);
    const leaked = families.flatMap((family) => [family.pid, family.grandchildPid]).filter(isPidRunning);
    expect(leaked).toEqual([]);
  });

  it('fails a request that cannot get a slot in time, and serves it once one frees up', async () => {
    const pool = new UpstreamPool({
      isolation: 'per_session',
      maxConnectionsPerServer: 1,
      connection: { slotWaitTimeoutMs: 200 },
    });
    const spec = stdioSpec(CRASH, [], { name: 'single-slot' });
    try {
      await pool.get(spec, 'first').ping();

      await expect(pool.get(spec, 'second').ping()).rejects.toMatchObject({
        code: 'UPSTREAM_AT_CAPACITY',
        message: expect.stringContaining('upstream "single-slot"'),
      });
      expect(pool.get(spec, 'second').health().status).toBe('idle');

      await pool.releaseSession('first');
      await expect(pool.get(spec, 'second').ping()).resolves.toBeUndefined();
      expect(pool.liveProcessCount(spec.id)).toBe(1);
    } finally {
      await pool.closeAll();
    }
    expect(pool.liveProcessCount(spec.id)).toBe(0);
  });

  it('closes an idle session connection and reconnects it on the next request', async () => {
    const pool = new UpstreamPool({ isolation: 'per_session', sessionIdleTimeoutMs: 50 });
    const spec = stdioSpec(CRASH);
    try {
      const connection = pool.get(spec, 'sleepy');
      await connection.ping();
      const firstPid = connection.health().pid!;

      await new Promise<void>((resolve) => {
        const stop = connection.onHealthChange((health) => {
          if (health.status === 'idle') {
            stop();
            resolve();
          }
        });
      });
      await connection.ping();

      expect(connection.health().pid).not.toBe(firstPid);
    } finally {
      await pool.closeAll();
    }
  });
});

describe('a reconfigure that a request starts (nobody awaits it)', () => {
  it.each([
    ['a shared connection', undefined],
    ["a user's own connection", 'ann'],
  ])('is logged when it fails, for %s, with the server id and none of the spec', async (_label, userId) => {
    let warned!: (entry: unknown[]) => void;
    const logged = new Promise<unknown[]>((resolve) => (warned = resolve));
    const pool = new UpstreamPool({ log: (...entry) => warned(entry) });
    const spec = stdioSpec(CRASH, [], { env: { API_KEY: 'the-old-secret' }, ...(userId === undefined ? {} : { credentials: 'per_user', userId }) });
    try {
      const connection = pool.get(spec, 'session-1', userId);
      // As when the replaced connection's process group could not be signalled.
      jest.spyOn(connection, 'reconfigure').mockRejectedValueOnce(new Error('kill EPERM'));

      expect(pool.get({ ...spec, env: { API_KEY: 'the-new-secret' } }, 'session-1', userId)).toBe(connection);

      expect(await logged).toEqual(['warn', 'upstream not reconfigured', { serverId: spec.id, error: 'kill EPERM' }]);
    } finally {
      await pool.closeAll();
    }
  });
});
