import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which `gatehouse serve` processes use a database: a directory next to it
 * (`gatehouse.db.serving/`) with one file per serving process, named by its pid. Commands that
 * must not run under a live server (`rebuild`) look there. A file whose process is gone (it
 * was killed) is ignored and removed.
 */
const markerDirectory = (databasePath: string): string => `${databasePath}.serving`;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
};

/** Marks this process as serving the database; returns the function that takes the mark away. */
export const markServing = (databasePath: string): (() => void) => {
  if (databasePath === ':memory:') return () => undefined;
  const file = join(markerDirectory(databasePath), String(process.pid));
  mkdirSync(markerDirectory(databasePath), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${new Date().toISOString()}\n`, { mode: 0o600 });
  return () => rmSync(file, { force: true });
};

/** The pids of the live processes serving the database (stale marks are removed on the way). */
export const servingProcesses = (databasePath: string): number[] => {
  let names: string[];
  try {
    names = readdirSync(markerDirectory(databasePath));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) return [];
    if (pid !== process.pid && isAlive(pid)) return [pid];
    rmSync(join(markerDirectory(databasePath), name), { force: true });
    return [];
  });
};
