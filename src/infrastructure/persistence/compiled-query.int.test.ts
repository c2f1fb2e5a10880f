import { QueryFailedError } from 'typeorm';
import { ENTITIES } from '../application';
import { EventRecord, StreamRecord } from '../eventstore/event.entities';
import { openSqliteTestDatabase, openTestDatabase } from '../../../test/support/application';
import { createTestPostgresDatabase, describePostgres } from '../../../test/support/postgres';
import { makeTempDir } from '../../../test/support/temp-dir';
import { compiledQuery } from './compiled-query';
import { Database } from './database';
import { sqliteHandleOf } from './sqlite-statements';

const INSERT_STREAM = compiledQuery<StreamRecord>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(StreamRecord)
    .values({ streamId: p.streamId, streamType: p.streamType, version: p.version, createdAt: p.createdAt, updatedAt: p.updatedAt })
    .updateEntity(false),
);
const INSERT_EVENT = compiledQuery<{ eventId: string; streamId: string; version: number }>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(EventRecord)
    .values({ eventId: p.eventId, streamId: p.streamId, streamVersion: p.version, type: 'T', schemaVersion: 1, data: '{}', metadata: '{}', recordedAt: '2026-01-01' })
    .updateEntity(false),
);
const BUMP = compiledQuery<{ streamType: string; version: number }>((manager, p) =>
  manager.createQueryBuilder().update(StreamRecord).set({ version: p.version }).where('stream_type = :streamType', { streamType: p.streamType }).updateEntity(false),
);
const OF_TYPE = compiledQuery<{ streamType: string }>((manager, p) =>
  manager
    .createQueryBuilder(StreamRecord, 's')
    .select('s.streamId', 'streamId')
    .addSelect('s.version', 'version')
    .where('s.streamType = :streamType', { streamType: p.streamType })
    .orderBy('s.streamId'),
);

const stream = (streamId: string, streamType = 'thing'): StreamRecord => ({ streamId, streamType, version: 1, createdAt: '2026-01-01', updatedAt: '2026-01-01' });

/** What the store's statements rely on from a compiled query, the same on each backend. */
const compiledQueryContract = (open: () => Promise<{ db: Database; cleanup: () => Promise<void> }>) => {
  let db: Database;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ db, cleanup } = await open());
  });
  afterEach(async () => {
    await db.close();
    await cleanup();
  });

  it('answers rows, affected counts and the new row id, with other values each run', async () => {
    const first = await db.write((manager) => INSERT_EVENT.run(manager, { eventId: 'e1', streamId: 's', version: 1 }));
    const second = await db.write((manager) => INSERT_EVENT.run(manager, { eventId: 'e2', streamId: 's', version: 2 }));
    expect(first.insertId).toBeGreaterThan(0);
    expect(second.insertId).toBe(first.insertId + 1);

    await db.write(async (manager) => {
      for (const id of ['b', 'a', 'c']) await INSERT_STREAM.write(manager, stream(id, id === 'c' ? 'other' : 'thing'));
    });
    const bumped = await db.write((manager) => BUMP.run(manager, { streamType: 'thing', version: 7 }));
    expect(bumped.affected).toBe(2);
    // On the writer (in the transaction) and on the reader.
    expect(await db.write((manager) => OF_TYPE.all(manager, { streamType: 'thing' }))).toEqual([{ streamId: 'a', version: 7 }, { streamId: 'b', version: 7 }]);
    expect(await OF_TYPE.all(db.reads, { streamType: 'other' })).toEqual([{ streamId: 'c', version: 1 }]);
    expect(await OF_TYPE.one(db.reads, { streamType: 'none' })).toBeUndefined();
  });

  it('fails a statement that breaks a constraint with QueryFailedError, and only the job that ran it', async () => {
    await db.write((manager) => INSERT_STREAM.write(manager, stream('taken')));
    const outcomes = await Promise.allSettled([
      db.write((manager) => INSERT_STREAM.run(manager, stream('fresh-1'))),
      db.write((manager) => INSERT_STREAM.run(manager, stream('taken'))),
      db.write((manager) => INSERT_STREAM.run(manager, stream('fresh-2'))),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const error = (outcomes[1] as PromiseRejectedResult).reason as QueryFailedError & { code?: string };
    expect(error).toBeInstanceOf(QueryFailedError);
    expect(error.code).toMatch(db.kind === 'sqlite' ? /^SQLITE_CONSTRAINT/ : /^23505$/);
    expect((await OF_TYPE.all<{ streamId: string }>(db.reads, { streamType: 'thing' })).map((row) => row.streamId)).toEqual(['fresh-1', 'fresh-2', 'taken']);
  });
};

describe('CompiledQuery on SQLite', () => {
  compiledQueryContract(openSqliteTestDatabase);

  it('prepares each statement once per connection', async () => {
    const dir = makeTempDir();
    const db = await openTestDatabase(dir.path);
    try {
      const prepare = jest.spyOn(sqliteHandleOf(db.reads)!, 'prepare');
      for (let n = 0; n < 5; n += 1) await OF_TYPE.all(db.reads, { streamType: `t${n}` });
      expect(prepare).toHaveBeenCalledTimes(1);
    } finally {
      await db.close();
      dir.cleanup();
    }
  });
});

describePostgres('CompiledQuery on PostgreSQL', () => {
  compiledQueryContract(async () => {
    const database = await createTestPostgresDatabase();
    return { db: await Database.open({ path: '', url: database.url, entities: ENTITIES }), cleanup: database.drop };
  });
});
