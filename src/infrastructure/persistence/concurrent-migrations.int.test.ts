import { execFile } from 'node:child_process';
import Sqlite from 'better-sqlite3';
import { join } from 'node:path';
import { createTestPostgresDatabase, describePostgres } from '../../../test/support/postgres';
import { makeTempDir } from '../../../test/support/temp-dir';

const DIST = join(__dirname, '../../../dist/src/infrastructure');

/** Opens the database (migrating it) in a process of its own, as `serve` and every CLI command do. */
const openInProcess = (options: { path?: string; url?: string }): Promise<string> => {
  const script = `
    const { Database } = require(${JSON.stringify(join(DIST, 'persistence/database.js'))});
    const { ENTITIES } = require(${JSON.stringify(join(DIST, 'application.js'))});
    (async () => {
      const db = await Database.open({ ...${JSON.stringify(options)}, entities: ENTITIES });
      const pending = await db.pendingMigrations();
      await db.close();
      process.stdout.write(pending ? 'pending' : 'migrated');
    })().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exitCode = 1; });`;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { timeout: 60_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout))),
  );
};

// Several processes starting at once on a fresh database (two instances, serve and a CLI command,
// two commands in a script): each applies the migrations or finds them applied, none fails.
describe('migrations of a fresh database, from several processes at once (compiled: run `npm run build` first)', () => {
  it('on SQLite', async () => {
    const dir = makeTempDir();
    try {
      const path = join(dir.path, 'gatehouse.db');
      expect(await Promise.all(Array.from({ length: 6 }, () => openInProcess({ path })))).toEqual(Array(6).fill('migrated'));
    } finally {
      dir.cleanup();
    }
  }, 90_000);
});

describe('opening a migrated SQLite database while another process writes (compiled)', () => {
  // Nothing pending is found by a read: an open does not wait for the write lock (a rebuild or a big import may hold it for long).
  it('does not need the write lock', async () => {
    const dir = makeTempDir();
    const path = join(dir.path, 'gatehouse.db');
    const writer = new Sqlite(path, { timeout: 0 });
    try {
      expect(await openInProcess({ path })).toBe('migrated');
      writer.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      expect(await openInProcess({ path })).toBe('migrated');
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      if (writer.inTransaction) writer.exec('ROLLBACK');
      writer.close();
      dir.cleanup();
    }
  }, 60_000);
});

describePostgres('migrations of a fresh PostgreSQL database, from several processes at once', () => {
  it('on PostgreSQL', async () => {
    const database = await createTestPostgresDatabase();
    try {
      expect(await Promise.all([1, 2, 3].map(() => openInProcess({ url: database.url })))).toEqual(['migrated', 'migrated', 'migrated']);
    } finally {
      await database.drop();
    }
  }, 90_000);
});
