import { fixtureServer, isPidRunning, stdioSpec, textOf, waitForHealth } from '../../../test/fixtures/upstream-fixtures';
import { ChildProcessRegistry, UpstreamSupervisor } from '.';

/** A server that started a grandchild in its process group, as `npx` → `node` does. */
const SPAWNING = fixtureServer('spawning-server.js');

type Family = { pid: number; grandchildPid: number };

const familyOf = async (supervisor: UpstreamSupervisor): Promise<Family> =>
  JSON.parse(textOf(await supervisor.callTool({ name: 'family', arguments: {} }))) as Family;

describe('closing a stdio upstream', () => {
  it('stops the server and its grandchild', async () => {
    const processes = new ChildProcessRegistry();
    const spec = stdioSpec(SPAWNING);
    const supervisor = new UpstreamSupervisor(spec, { processes });
    let family: Family | undefined;
    try {
      family = await familyOf(supervisor);
      expect(isPidRunning(family.pid)).toBe(true);
      expect(isPidRunning(family.grandchildPid)).toBe(true);
      expect(processes.pids(spec.id)).toEqual([family.pid]);
    } finally {
      await supervisor.close();
    }

    expect(isPidRunning(family.pid)).toBe(false);
    expect(isPidRunning(family.grandchildPid)).toBe(false);
    expect(processes.count(spec.id)).toBe(0);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const terminateGraceMs = 300;
    const supervisor = new UpstreamSupervisor(stdioSpec(SPAWNING, ['--ignore-sigterm']), { terminateGraceMs });
    let family: Family | undefined;
    let closedAfterMs = 0;
    try {
      family = await familyOf(supervisor);
    } finally {
      const started = Date.now();
      await supervisor.close();
      closedAfterMs = Date.now() - started;
    }

    expect(isPidRunning(family.pid)).toBe(false);
    expect(isPidRunning(family.grandchildPid)).toBe(false);
    expect(closedAfterMs).toBeGreaterThanOrEqual(terminateGraceMs);
    expect(closedAfterMs).toBeLessThan(terminateGraceMs + 2000);
  });

  it('reaps the grandchild when the server itself dies', async () => {
    const supervisor = new UpstreamSupervisor(stdioSpec(SPAWNING), { backoff: { initialDelayMs: 60_000 } });
    try {
      const family = await familyOf(supervisor);

      process.kill(family.pid, 'SIGKILL');
      // The crash is reported once the rest of the group has been stopped.
      await waitForHealth(supervisor, (health) => health.status === 'restarting');

      expect(isPidRunning(family.grandchildPid)).toBe(false);
    } finally {
      await supervisor.close();
    }
  });
});
