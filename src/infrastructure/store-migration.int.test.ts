import { openTestApplication } from '../../test/support/application';
import { makeTempDir } from '../../test/support/temp-dir';
import { DebugLogRecord, ProjectionCheckpointRow } from './readmodels/debug-logs';
import { COPIED, DROPPED, NOT_COPIED } from './store-migration';
import { storageOf } from './application-storage';

describe('what migrate-store copies', () => {
  const dir = makeTempDir();
  afterAll(() => dir.cleanup());

  it('names every table of a migrated store once: copied as stored, rebuilt on the target, or dropped', async () => {
    const app = await openTestApplication(dir.path);
    const { database, store } = storageOf(app);
    try {
      const tables = ((await database.reads.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'migrations'`)) as { name: string }[])
        .map((row) => row.name)
        .sort();
      const copied = COPIED.map((entry) => entry.table);
      expect([...copied, ...NOT_COPIED, ...DROPPED].sort()).toEqual(tables);
      expect(new Set([...copied, ...NOT_COPIED, ...DROPPED]).size).toBe(tables.length);
      // What is not copied is what the target's rebuild writes: the projections' tables, the debug logs and their checkpoint.
      const tableName = (entity: Parameters<typeof database.reads.connection.getMetadata>[0]): string => database.reads.connection.getMetadata(entity).tableName;
      const rebuilt = [...store.projections.flatMap((projection) => projection.tables), DebugLogRecord, ProjectionCheckpointRow].map(tableName);
      expect([...NOT_COPIED].sort()).toEqual([...new Set(rebuilt)].sort());
    } finally {
      await app.close();
    }
  });
});
