import { hostname } from 'node:os';
import { Client } from 'pg';
import { SERVING_LOCK } from './migrations/postgres/ddl';
import { keepConnection } from './postgres-kept-connection';

/**
 * Which `gatehouse serve` instances use a PostgreSQL database: each holds a shared advisory
 * lock (SERVING_LOCK) on a connection of its own, named (application_name) after its pid and
 * host. The server releases the lock the moment that connection ends, however the process
 * ended (kill -9 included), so there is no stale record to clean up. A command that must not
 * run under a live server (`rebuild`, `migrate-store`) takes the lock exclusively: it gets it
 * only when no instance holds it, and an instance that starts meanwhile waits for it.
 */

/** PostgreSQL keeps the first 63 bytes of an application_name. */
const NAME_MAX = 63;

export const servingName = (): string => `gatehouse serve pid ${process.pid} on ${hostname()}`.slice(0, NAME_MAX);

/**
 * Holds this instance's share of the lock while it serves, taking it again after the connection
 * was lost (the database restarted); returns the function that lets it go.
 */
export const holdServingLock = (url: string, onError: (error: unknown) => void): Promise<() => Promise<void>> =>
  keepConnection(url, { applicationName: servingName(), setUp: (client) => client.query('SELECT pg_advisory_lock_shared($1)', [SERVING_LOCK]) }, onError);

export type ExclusiveUse = Readonly<{
  /** The instances serving now, as "pid 123 on host (connected since …, from 10.0.0.5)"; empty when the lock is ours. */
  serving: readonly string[];
  /** Lets the lock go (a no-op when it was not taken). */
  release: () => Promise<void>;
}>;

/** Takes the lock exclusively if no instance serves; else says which ones do. */
export const takeExclusiveUse = async (url: string): Promise<ExclusiveUse> => {
  const client = new Client({ connectionString: url, application_name: `gatehouse maintenance pid ${process.pid}` });
  await client.connect();
  try {
    const [{ taken }] = (await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1) AS taken', [SERVING_LOCK])).rows;
    if (taken) return { serving: [], release: () => client.end() };
    const { rows } = await client.query<{ name: string; since: Date; address: string | null }>(
      `SELECT a.application_name AS name, a.backend_start AS since, host(a.client_addr) AS address
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1 AND l.granted
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY a.backend_start`,
      [SERVING_LOCK],
    );
    await client.end();
    const serving = rows.map(({ name, since, address }) => {
      const who = name.startsWith('gatehouse serve ') ? name.slice('gatehouse serve '.length) : name || 'an unnamed connection';
      return `${who} (connected since ${since.toISOString()}${address === null ? '' : `, from ${address}`})`;
    });
    // The lock was held a moment ago by one that has let it go since: still not ours, say so.
    return { serving: serving.length > 0 ? serving : ['an instance that was stopping'], release: async () => undefined };
  } catch (error) {
    // The error that matters is thrown below; the connection is dropped either way.
    await client.end().catch(() => undefined);
    throw error;
  }
};
