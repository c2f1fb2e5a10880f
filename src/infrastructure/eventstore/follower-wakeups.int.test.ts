import { randomUUID } from 'node:crypto';
import { firstValueFrom, timeout } from 'rxjs';
import { ENTITIES } from '../application';
import { openTestDatabase } from '../../../test/support/application';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../../../test/support/postgres';
import { makeTempDir } from '../../../test/support/temp-dir';
import { Database } from '../persistence/database';
import { LogFollower } from './log-follower';
import { TypeOrmEventStore } from './typeorm-event-store';

const metadata = () => ({ actor: 'test', correlationId: randomUUID(), causationId: null, recordedAt: new Date().toISOString() });

/** Polls only once a minute: an event seen sooner was announced, not polled for. */
const SLOW_POLL = { intervalMs: 60_000 };

describePostgres('followers on PostgreSQL are woken by the commits of other instances (LISTEN/NOTIFY)', () => {
  let database: TestPostgresDatabase;
  let writer: Database;
  let reader: Database;

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    writer = await Database.open({ path: '', url: database.url, entities: ENTITIES });
    reader = await Database.open({ path: '', url: database.url, entities: ENTITIES });
  });
  afterAll(async () => {
    await reader?.close();
    await writer?.close();
    await database?.drop();
  });

  it('sees another instance\'s commit within a second, long before its next poll', async () => {
    const follower = new LogFollower(new TypeOrmEventStore(reader), SLOW_POLL);
    await follower.start();
    const stop = await reader.onCommitsElsewhere(() => follower.wake(), (error) => { throw error; });
    try {
      const seen = firstValueFrom(follower.events$.pipe(timeout(1_000)));
      const started = Date.now();
      await new TypeOrmEventStore(writer).append(`thing-${randomUUID()}`, [{ id: randomUUID(), type: 'ThingHappened', data: { n: 1 } }], 'no_stream', metadata());
      expect(await seen).toMatchObject({ type: 'ThingHappened' });
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await stop?.();
      await follower.stop();
    }
  });

  it('without the notification the same follower waits for its poll', async () => {
    const follower = new LogFollower(new TypeOrmEventStore(reader), SLOW_POLL);
    await follower.start();
    try {
      const seen = firstValueFrom(follower.events$.pipe(timeout(1_000)));
      await new TypeOrmEventStore(writer).append(`thing-${randomUUID()}`, [{ id: randomUUID(), type: 'ThingHappened', data: { n: 2 } }], 'no_stream', metadata());
      await expect(seen).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      await follower.stop();
    }
  });
});

describe('followers on SQLite', () => {
  it('have no notifications to listen to: they poll', async () => {
    const dir = makeTempDir();
    const opened = await openTestDatabase(dir.path);
    try {
      expect(await opened.onCommitsElsewhere(() => undefined, () => undefined)).toBeNull();
    } finally {
      await opened.close();
      dir.cleanup();
    }
  });
});
