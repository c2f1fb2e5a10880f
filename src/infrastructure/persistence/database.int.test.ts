import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ENTITIES } from '../application';
import { StoredRows } from '../../../test/support/sqlite';
import { makeTempDir } from '../../../test/support/temp-dir';
import { Checkpointer } from './checkpointer';
import { Database } from './database';
import { DatabaseBusyError } from './database-errors';

const insert = (key: string) => async (manager: import('typeorm').EntityManager): Promise<string> => {
  await manager.query(`INSERT INTO settings (key, value, updated_at) VALUES (?, '1', '2026-01-01')`, [key]);
  return key;
};

describe('Database: the writer queue (group commit, admission control)', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let db: Database;
  let stored: StoredRows;
  const keys = (): string[] => stored.all<{ key: string }>('SELECT key FROM settings ORDER BY rowid').map((row) => row.key);

  beforeEach(async () => {
    dir = makeTempDir();
    const path = join(dir.path, 'gatehouse.db');
    db = await Database.open({ path, entities: ENTITIES, maxPending: 4 });
    stored = new StoredRows(path);
  });
  afterEach(async () => {
    stored.close();
    await db.close();
    dir.cleanup();
  });

  it('refuses writes beyond the bound at once (DatabaseBusyError), does all it accepted, and nothing of the rest', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, n) => db.write(insert(`k${n}`))));
    // The first is taken off the queue at once; four wait; the other seven are refused.
    expect(outcomes.map((outcome) => outcome.status)).toEqual([...Array(5).fill('fulfilled'), ...Array(7).fill('rejected')]);
    for (const outcome of outcomes.slice(5)) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(DatabaseBusyError);
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'DATABASE_BUSY' });
    }
    expect(keys()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    // Once the queue has drained, writes are accepted again.
    await expect(db.write(insert('later'))).resolves.toBe('later');
  });

  it('answers every write of a batch in queue order, each with its own outcome, once the log is synced', async () => {
    const answered: string[] = [];
    const writes = ['a', 'dup', 'b', 'dup'].map((key) =>
      db.write(insert(key)).then(
        (value) => answered.push(`ok ${value}`),
        () => answered.push(`failed ${key}`),
      ),
    );
    await Promise.all(writes);
    expect(answered).toEqual(['ok a', 'ok dup', 'ok b', 'failed dup']);
    expect(keys()).toEqual(['a', 'dup', 'b']);
    expect((await db.commitMode()).synchronous).toBe('NORMAL + fdatasync of the WAL per batch');
  });

  it('keeps the journal of each job\'s savepoint in memory, and still rolls a failed job back alone', async () => {
    // 2 = MEMORY: past 64 KiB SQLite would otherwise write the savepoint journal to a temp file, page by page.
    expect(await db.write((manager) => manager.query('PRAGMA temp_store'))).toEqual([{ temp_store: 2 }]);
    const big = 'x'.repeat(20_000); // several pages per job: well past the 64 KiB in a batch
    const outcomes = await Promise.allSettled(
      ['p1', 'p2', 'p1', 'p3'].map((key) => db.write(async (manager) => {
        await manager.query(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, '2026-01-01')`, [`${key}-big`, big]);
        return insert(key)(manager);
      })),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(keys()).toEqual(['p1-big', 'p1', 'p2-big', 'p2', 'p3-big', 'p3']);
  });

  it('checkpoints on a thread of its own, so that a steady stream of commits does not grow the log without bound', async () => {
    const path = join(dir.path, 'steady.db');
    const steady = await Database.open({ path, entities: ENTITIES });
    const value = 'v'.repeat(4000); // about a page a row: 4,800 rows are some 26 MB of log unless it starts over
    try {
      const writer = async (w: number): Promise<void> => {
        for (let n = 0; n < 100; n += 1) {
          await steady.write((manager) => manager.query(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, '2026-01-01')`, [`w${w}-${n}`, value]));
        }
      };
      await Promise.all(Array.from({ length: 48 }, (_, w) => writer(w)));
      const [{ count }] = (await steady.reads.query('SELECT count(*) AS count FROM settings')) as { count: number }[];
      expect(count).toBe(4800);
      expect(statSync(`${path}-wal`).size).toBeLessThan(12 * 1024 * 1024);
    } finally {
      await steady.close();
    }
  });

  it('gives checkpointing back to SQLite when its thread fails, and still closes', async () => {
    let checkpointer: Checkpointer | undefined;
    const failure = await new Promise<Error>((resolve) => {
      checkpointer = new Checkpointer(join(dir.path, 'missing', 'nothing.db'), resolve, 1);
      checkpointer.committed();
    });
    expect(failure.message).toMatch(/unable to open|directory does not exist|no such file/i);
    // The thread is gone by now (its 'exit' fired before, or fires after, the failure): close must
    // not wait for an exit that already happened.
    await new Promise((resolve) => setTimeout(resolve, 200));
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      (checkpointer as Checkpointer).close().then(() => 'closed'),
      new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting'), 5_000))),
    ]).finally(() => clearTimeout(timer));
    expect(closed).toBe('closed');
  });
});

describe('Database in a process of its own (compiled: run `npm run build` first)', () => {
  it('lets a process that checkpointed go on after close, as the CLI does', async () => {
    const dir = makeTempDir();
    try {
      const script = `
        const { Database } = require(${JSON.stringify(join(__dirname, '../../../dist/src/infrastructure/persistence/database.js'))});
        const { ENTITIES } = require(${JSON.stringify(join(__dirname, '../../../dist/src/infrastructure/application.js'))});
        (async () => {
          const db = await Database.open({ path: ${JSON.stringify(join(dir.path, 'cli.db'))}, entities: ENTITIES });
          for (let n = 0; n < 100; n += 1) await db.write((m) => m.query("INSERT INTO settings (key, value, updated_at) VALUES (?, '1', '2026-01-01')", ['k' + n]));
          await db.close();
          process.stdout.write('after close');
        })();`;
      const output = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['-e', script], { timeout: 20_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout))),
      );
      expect(output).toBe('after close');
    } finally {
      dir.cleanup();
    }
  });
});
