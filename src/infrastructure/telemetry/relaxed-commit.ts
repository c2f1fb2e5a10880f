import type { Sql } from '../eventstore';

/**
 * Runs `work` in one transaction committed with `synchronous = NORMAL`, then restores the
 * connection's setting (FULL for configuration commits). In WAL mode a NORMAL commit does not
 * fsync: telemetry rows may be lost to a power cut (never to a crash of the process, and never
 * corrupted), and in exchange a journal batch does not stall the event loop — and with it the
 * proxy — for a disk flush. The next FULL commit makes them durable as well. better-sqlite3 is
 * synchronous, so no other statement can run while the setting is relaxed.
 */
export const relaxedCommit = <T>(sql: Sql, work: () => T): T => {
  const previous = sql.db.pragma('synchronous', { simple: true }) as number;
  if (previous <= 1) return sql.transaction(work);
  sql.db.pragma('synchronous = NORMAL');
  try {
    return sql.transaction(work);
  } finally {
    sql.db.pragma(`synchronous = ${previous}`);
  }
};
