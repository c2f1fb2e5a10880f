import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Upstream stdio servers run in their own process group (spawned with `detached: true`), so a
 * launcher such as `npx` or `uvx` and the real server it starts can be stopped together: a
 * signal sent to the negative pid reaches every member of the group, including grandchildren
 * that would otherwise be orphaned and leak.
 *
 * On Windows there are no process groups; `taskkill /T` walks the process tree instead.
 */
const isWindows = process.platform === 'win32';

/** Sends `signal` to the whole group led by `leaderPid`; false if nothing was left to signal. */
export const signalProcessGroup = (leaderPid: number, signal: NodeJS.Signals): boolean => {
  if (isWindows) {
    // taskkill has no notion of SIGTERM: /T takes the tree, /F is the only reliable stop.
    const result = spawnSync('taskkill', ['/pid', String(leaderPid), '/T', '/F'], { windowsHide: true });
    return result.status === 0;
  }
  try {
    process.kill(-leaderPid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
};

/**
 * Live (non-zombie) members of a process group, read from /proc. Needed on Linux because an
 * orphaned grandchild that exits stays a zombie until init reaps it, and some container inits
 * never do: `kill(-pgid, 0)` would then report the group alive forever.
 */
const linuxGroupMembers = (groupId: number): number[] => {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we were looking
    }
    // "pid (comm) state ppid pgrp …": comm may contain spaces and parentheses, so split after the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === groupId && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
};

/** True while any member of the group is alive. */
export const isProcessGroupAlive = (leaderPid: number): boolean => {
  try {
    process.kill(isWindows ? leaderPid : -leaderPid, 0);
  } catch (error) {
    // EPERM means it exists but belongs to someone else: still alive as far as we can tell.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return process.platform === 'linux' ? linuxGroupMembers(leaderPid).length > 0 : true;
};

/**
 * Groups that a detached child leads do not die with the gateway (they no longer share its
 * terminal's process group). Orderly shutdown closes them; this last-resort hook covers an
 * exit that skipped that, e.g. `process.exit()` from a fatal error.
 */
const groupsToKillOnExit = new Set<number>();
let exitHookInstalled = false;

export const killGroupOnExit = (leaderPid: number): void => {
  groupsToKillOnExit.add(leaderPid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of groupsToKillOnExit) {
      try {
        signalProcessGroup(pid, 'SIGKILL');
      } catch {
        // Exiting anyway: nothing useful to do with a failure here.
      }
    }
  });
};

export const forgetGroupOnExit = (leaderPid: number): void => {
  groupsToKillOnExit.delete(leaderPid);
};

/**
 * Which upstream processes are alive, per server. A process is counted from spawn until its
 * whole group is gone, so the count is what a leak check needs.
 */
export class ChildProcessRegistry {
  private readonly byServer = new Map<string, Set<number>>();

  add(serverId: string, pid: number): void {
    const pids = this.byServer.get(serverId) ?? new Set<number>();
    pids.add(pid);
    this.byServer.set(serverId, pids);
  }

  remove(serverId: string, pid: number): void {
    const pids = this.byServer.get(serverId);
    if (!pids) return;
    pids.delete(pid);
    if (pids.size === 0) this.byServer.delete(serverId);
  }

  count(serverId: string): number {
    return this.byServer.get(serverId)?.size ?? 0;
  }

  pids(serverId: string): number[] {
    return [...(this.byServer.get(serverId) ?? [])];
  }

  total(): number {
    let total = 0;
    for (const pids of this.byServer.values()) total += pids.size;
    return total;
  }
}
