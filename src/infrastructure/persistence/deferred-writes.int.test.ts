import type { EntityManager } from 'typeorm';
import { createTestPostgresDatabase, describePostgres } from '../../../test/support/postgres';
import { ENTITIES } from '../application';
import { SettingRow } from '../readmodels/settings';
import { compiledQuery } from './compiled-query';
import { Database } from './database';

const GET = compiledQuery<{ key: string }>((manager, p) => manager.createQueryBuilder(SettingRow, 's').select('s.value', 'value').where('s.key = :key', { key: p.key }));

/** A setting row; `value` NULL breaks the column's NOT NULL, which only the database finds out. */
const PUT = compiledQuery<{ key: string; value: string | null }>((manager, p) =>
  manager.createQueryBuilder().insert().into(SettingRow).values({ key: p.key, value: p.value as string, updatedAt: '2026-01-01' }).updateEntity(false),
);

describePostgres('DeferredWrites: writes held back on the PostgreSQL writer', () => {
  let db: Database;
  let drop: () => Promise<void>;
  const keys = async (): Promise<string[]> =>
    ((await db.reads.query('SELECT key FROM settings ORDER BY key')) as { key: string }[]).map((row) => row.key);
  /** The first execution prepares the statement on the writer's connection; later ones can be held back. */
  const prepare = (): Promise<void> => db.write((manager) => PUT.write(manager, { key: 'prepared', value: '1' }));

  beforeEach(async () => {
    const database = await createTestPostgresDatabase();
    drop = database.drop;
    db = await Database.open({ path: '', url: database.url, entities: ENTITIES });
    await prepare();
  }, 60_000);
  afterEach(async () => {
    await db.close();
    await drop();
  }, 60_000);

  it('sends a held-back write before the next statement, so the job reads what it wrote', async () => {
    const seen = await db.write(async (manager: EntityManager) => {
      await PUT.write(manager, { key: "it's", value: 'a \\ value with \u00e9' });
      return manager.query('SELECT key, value FROM settings WHERE key = $1', ["it's"]);
    });
    expect(seen).toEqual([{ key: "it's", value: 'a \\ value with \u00e9' }]);
  });

  it('sends what is held back and a prepared statement that has to go out now in one round trip', async () => {
    await db.write((manager) => GET.all(manager, { key: 'prepared' })); // prepared on the writer's connection
    const { rows, sent } = await db.write(async (manager) => {
      await PUT.write(manager, { key: 'held', value: 'x' });
      const read = await GET.all<{ value: string }>(manager, { key: 'held' });
      // What the writer's connection sent last, as PostgreSQL saw it.
      const [activity] = (await db.reads.query(
        `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%gatehouse_%'`,
      )) as { query: string }[];
      return { rows: read, sent: activity?.query };
    });
    expect(rows).toEqual([{ value: 'x' }]);
    expect(sent).toMatch(/^EXECUTE gatehouse_\w+\([^)]*'held'[^)]*\); EXECUTE gatehouse_\w+\('held'\)$/);
  });

  it('fails the job whose held-back write fails, at its end, and keeps the other jobs of the batch', async () => {
    let returnedFromWrite = false;
    const outcomes = await Promise.allSettled([
      db.write((manager) => PUT.write(manager, { key: 'a', value: '1' })),
      db.write(async (manager) => {
        await PUT.write(manager, { key: 'b', value: null });
        returnedFromWrite = true; // held back: the database has not seen it yet
      }),
      db.write((manager) => PUT.write(manager, { key: 'c', value: '1' })),
      db.write(async (manager) => {
        await PUT.write(manager, { key: 'd', value: null }); // the last job of the batch: fails alone too
      }),
    ]);
    expect(returnedFromWrite).toBe(true);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/null value/);
    expect(await keys()).toEqual(['a', 'c', 'prepared']);
    // A job alone in its transaction fails the same way (its held-back write goes out with COMMIT).
    await expect(db.write((manager) => PUT.write(manager, { key: 'e', value: null }))).rejects.toThrow(/null value/);
    await expect(db.write((manager) => PUT.write(manager, { key: 'f', value: '1' }))).resolves.toBeUndefined();
    expect(await keys()).toEqual(['a', 'c', 'f', 'prepared']);
  });

  it('confirms rerunnable jobs together, and runs them again one by one when one of them fails, each judged on its own', async () => {
    const runs = { a: 0, b: 0, c: 0, d: 0 };
    const put = (key: keyof typeof runs, value: string | null) => (manager: EntityManager): Promise<void> => {
      runs[key] += 1;
      return PUT.write(manager, { key, value });
    };
    const together = { rerunnable: true };
    // The first write goes alone; the four wait for it and make the next batch.
    const outcomes = await Promise.allSettled([
      db.write((manager) => PUT.write(manager, { key: 'first', value: '1' })),
      db.write(put('a', '1'), together),
      db.write(put('b', null), together),
      db.write(put('c', '1'), together),
      db.write(put('d', null), together),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/null value/);
    expect(await keys()).toEqual(['a', 'c', 'first', 'prepared']);
    // Run together first: b's write failed when they were confirmed, so all four ran again, each in a savepoint of its own.
    expect(runs).toEqual({ a: 2, b: 2, c: 2, d: 2 });
    // Jobs that all succeed run once.
    const again = { a: 0, b: 0, c: 0, d: 0 };
    const count = (key: keyof typeof again) => (manager: EntityManager): Promise<void> => {
      again[key] += 1;
      return PUT.write(manager, { key: `${key}2`, value: '1' });
    };
    await Promise.all([db.write((manager) => PUT.write(manager, { key: 'first2', value: '1' })), db.write(count('a'), together), db.write(count('b'), together), db.write(count('c'), together)]);
    expect(again).toEqual({ a: 1, b: 1, c: 1, d: 0 });
    expect(await keys()).toEqual(['a', 'a2', 'b2', 'c', 'c2', 'first', 'first2', 'prepared']);
  });

  it('drops the held-back writes of a job that throws', async () => {
    await expect(
      db.write(async (manager) => {
        await PUT.write(manager, { key: 'never', value: '1' });
        throw new Error('decided otherwise');
      }),
    ).rejects.toThrow('decided otherwise');
    await db.write((manager) => PUT.write(manager, { key: 'after', value: '1' }));
    expect(await keys()).toEqual(['after', 'prepared']);
  });
});
