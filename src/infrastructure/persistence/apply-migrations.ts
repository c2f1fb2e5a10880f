import { Client } from 'pg';
import type { DataSource, Migration } from 'typeorm';
import { MIGRATIONS_LOCK } from './migrations/postgres/ddl';

/*
 * Several processes may open a fresh database at the same moment (two instances, `serve` and a
 * CLI command, two commands of a script). Each looks up the pending migrations under a lock the
 * others wait for, so that each migration runs once and the others find it applied, instead of
 * all of them creating the same tables and all but one failing.
 */

/**
 * SQLite: the database's write lock, taken (BEGIN IMMEDIATE) before the pending migrations are
 * looked up; the other processes wait for it (busy_timeout). They run in that one transaction:
 * all applied, or none. So a SQLite migration must not set its own `transaction` (TypeORM would
 * begin one inside ours), and none uses foreign keys (TypeORM's switching them off around a
 * migration is not done here).
 */
export const applySqliteMigrations = async (writer: DataSource): Promise<Migration[]> => {
  await writer.query('BEGIN IMMEDIATE');
  try {
    const applied = await writer.runMigrations({ transaction: 'none' });
    await writer.query('COMMIT');
    return applied;
  } catch (error) {
    await writer.query('ROLLBACK');
    throw error;
  }
};

/**
 * PostgreSQL: an advisory lock held on a connection of its own while the migrations run, each in
 * its own transaction. Ending that connection lets the lock go, whatever happened.
 */
export const applyPostgresMigrations = async (url: string, writer: DataSource): Promise<Migration[]> => {
  const lock = new Client({ connectionString: url, application_name: `gatehouse migrations pid ${process.pid}` });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATIONS_LOCK]);
    return await writer.runMigrations({ transaction: 'each' });
  } finally {
    await lock.end();
  }
};
