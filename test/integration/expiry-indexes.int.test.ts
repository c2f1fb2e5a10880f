import type { Application } from '../../src/infrastructure/application';
import { openApplication } from '../../src/infrastructure/application';
import { loadConfig } from '../../src/infrastructure/config/config';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../support/postgres';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';
import { storageOf } from '../../src/infrastructure/application-storage';

/**
 * The expired-records sweep and the sign-in's delete of lapsed sessions find their rows through
 * an index on each backend, not by reading the whole table (the shapes of the deletes in
 * oauth-server-records.ts and user-sessions.ts).
 */
const SWEEPS = {
  oauth_server_records: "SELECT 1 FROM oauth_server_records WHERE expires_at < 100",
  user_sessions: "SELECT 1 FROM user_sessions WHERE expires_at <= '2026-01-01' OR last_seen_at <= '2026-01-01'",
};

describe('expiry indexes on SQLite', () => {
  let app: Application;
  const dir = makeTempDir();

  beforeAll(async () => {
    app = await openApplication(loadConfig({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY }));
  });

  afterAll(async () => {
    await app.close();
    dir.cleanup();
  });

  it.each(Object.entries(SWEEPS))('%s is swept through its indexes', async (table, query) => {
    const plan = (await storageOf(app).database.reads.query(`EXPLAIN QUERY PLAN ${query}`)) as { detail: string }[];
    const details = plan.map((row) => row.detail);
    expect(details.some((detail) => detail.includes(`SCAN ${table}`))).toBe(false);
    expect(details.some((detail) => /USING (COVERING )?INDEX \w+_(expires|last_seen)/.test(detail))).toBe(true);
  });
});

describePostgres('expiry indexes on PostgreSQL', () => {
  let app: Application;
  let database: TestPostgresDatabase;
  const dir = makeTempDir();

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    app = await openApplication(loadConfig({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_DATABASE_URL: database.url }));
  }, 60_000);

  afterAll(async () => {
    await app.close();
    await database.drop();
    dir.cleanup();
  });

  it.each(Object.entries(SWEEPS))('%s can be swept through its indexes', async (table, query) => {
    // The tables are empty, so the planner would rightly scan them; forbidding the scan shows
    // whether an index exists to use instead.
    const plan = await storageOf(app).database.reads.transaction(async (manager) => {
      await manager.query('SET LOCAL enable_seqscan = off');
      return (await manager.query(`EXPLAIN ${query}`)) as { 'QUERY PLAN': string }[];
    });
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).not.toMatch(new RegExp(`Seq Scan on ${table}`));
    expect(text).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
  });
});
