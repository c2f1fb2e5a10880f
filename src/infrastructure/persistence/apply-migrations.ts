import { Client } from 'pg';
import type { DataSource, Migration } from 'typeorm';
import { MIGRATIONS_LOCK } from './migrations/postgres/ddl';

/*
 * Several processes may open a fresh database at the same moment (two instances, `serve` and a
 * CLI command, two commands of a script). Each looks up the pending migrations under a lock the
 * others wait for, so that each migration runs once and the others find it applied, instead of
 * all of them creating the same tables and all but one failing.
 */

/** Whether the code knows migrations the database has not recorded, read without a lock. */
const sqliteHasPending = async (writer: DataSource): Promise<boolean> => {
  let recorded: { name: string }[];
  try {
    recorded = (await writer.query('SELECT name FROM migrations')) as { name: string }[];
  } catch (error) {
    if (/no such table/.test(String(error))) return true; // a fresh database
    throw error;
  }
  const applied = new Set(recorded.map((row) => row.name));
  return writer.migrations.some((migration) => !applied.has(migration.name ?? migration.constructor.name));
};

/**
 * SQLite: most opens find nothing pending, which a plain read tells without waiting for a writer
 * (a rebuild or a big import may hold the write lock for long). Otherwise the write lock is
 * taken (BEGIN IMMEDIATE; the other processes wait for it, busy_timeout) before TypeORM looks the
 * pending migrations up again, and they run in that one transaction: all applied, or none. So a
 * SQLite migration must not set its own `transaction` (TypeORM would begin one inside ours), and
 * none uses foreign keys (TypeORM's switching them off around a migration is not done here).
 */
export const applySqliteMigrations = async (writer: DataSource): Promise<Migration[]> => {
  if (!(await sqliteHasPending(writer))) return [];
  try {
    await writer.query('BEGIN IMMEDIATE');
  } catch (error) {
    throw new Error(`cannot apply the pending migrations: another process holds the database's write lock (${String(error)})`, { cause: error });
  }
  try {
    const applied = await writer.runMigrations({ transaction: 'none' });
    await writer.query('COMMIT');
    return applied;
  } catch (error) {
    // SQLite may have rolled back already (after an I/O error): the migration's error is the one to report.
    await writer.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
};

/**
 * PostgreSQL: an advisory lock held on a connection of its own while the migrations run, each in
 * its own transaction. Ending that connection lets the lock go, whatever happened (a process
 * killed meanwhile lets it go too). A process that finds the lock taken says so on stderr before
 * it waits, rather than hanging in silence.
 */
export const applyPostgresMigrations = async (url: string, writer: DataSource): Promise<Migration[]> => {
  const lock = new Client({ connectionString: url, application_name: `gatehouse migrations pid ${process.pid}`, connectionTimeoutMillis: 5000 });
  // The lock's connection sits idle while the migrations run on the writer's: losing it must not
  // be an unhandled 'error' event (which ends the process); each migration is still a transaction of its own.
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    const [{ taken }] = (await lock.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1) AS taken', [MIGRATIONS_LOCK])).rows;
    if (!taken) {
      process.stderr.write('gatehouse: another process is applying the database migrations; waiting for it\n');
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATIONS_LOCK]);
    }
    return await writer.runMigrations({ transaction: 'each' });
  } finally {
    await lock.end().catch(() => undefined);
  }
};
