import { Client } from 'pg';
import type { EntityManager } from 'typeorm';
import { openPostgresApplication, type OpenedApplication } from '../../../test/support/application';
import { describePostgres, POSTGRES_SERVER_URL } from '../../../test/support/postgres';
import { DatabaseUnavailableError } from './database-errors';
import { storageOf } from '../application-storage';

/** Ends the writer's server process from outside, as a restart or an operator's kill would. */
const terminateBackend = async (pid: number): Promise<void> => {
  const admin = new Client({ connectionString: POSTGRES_SERVER_URL });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
};

const settled = <T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describePostgres('Database on PostgreSQL: the writer\'s connection lost in the middle of a batch', () => {
  let opened: OpenedApplication;

  beforeEach(async () => {
    opened = await openPostgresApplication();
  });

  afterEach(async () => {
    await opened.app.close();
    await opened.cleanup();
  });

  it('answers every job of the batch "database unavailable" (a 503, not a 500), and the next write goes through', async () => {
    const { database } = storageOf(opened.app);
    // The first write holds the writer, so that the next three are committed together, as one batch.
    const blocker = database.write((manager: EntityManager) => manager.query('SELECT pg_sleep(0.3)'));
    const first = settled(database.write((manager: EntityManager) => manager.query('SELECT 1')));
    const middle = settled(
      database.write(async (manager: EntityManager) => {
        const [{ pid }] = (await manager.query('SELECT pg_backend_pid() AS pid')) as Array<{ pid: number }>;
        await terminateBackend(pid);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return manager.query('SELECT 2');
      }),
    );
    const last = settled(database.write((manager: EntityManager) => manager.query('SELECT 3')));
    await blocker;
    const outcomes = await Promise.all([first, middle, last]);
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) {
        expect(outcome.error).toBeInstanceOf(DatabaseUnavailableError);
        expect((outcome.error as DatabaseUnavailableError).code).toBe('DATABASE_UNAVAILABLE');
      }
    }
    await expect(database.write((manager: EntityManager) => manager.query('SELECT 4 AS four'))).resolves.toEqual([{ four: 4 }]);
  });

  it('answers a lone job whose connection went "database unavailable" too', async () => {
    const { database } = storageOf(opened.app);
    const outcome = await settled(
      database.write(async (manager: EntityManager) => {
        const [{ pid }] = (await manager.query('SELECT pg_backend_pid() AS pid')) as Array<{ pid: number }>;
        await terminateBackend(pid);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return manager.query('SELECT 2');
      }),
    );
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error).toBeInstanceOf(DatabaseUnavailableError);
    await expect(database.write((manager: EntityManager) => manager.query('SELECT 4 AS four'))).resolves.toEqual([{ four: 4 }]);
  });
});
