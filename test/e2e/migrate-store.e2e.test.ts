import { openApplication, type Application } from '../../src/infrastructure/application';
import { loadConfig } from '../../src/infrastructure/config/config';
import { runCli } from '../support/cli';
import { clock, runHistory } from '../support/history';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../support/postgres';
import { READ_MODEL_TABLES } from '../support/read-models';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

const open = (dir: string, url?: string): Promise<Application> =>
  openApplication(loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, ...(url === undefined ? {} : { GATEHOUSE_DATABASE_URL: url }) }));

/** What must be the same on both stores: the log, the journal and every read model's rows. */
const snapshot = async (app: Application) => {
  const rows = async (sql: string) => app.database.reads.query(sql) as Promise<unknown[]>;
  const readModels: Record<string, unknown[]> = {};
  for (const [table, key] of Object.entries(READ_MODEL_TABLES)) readModels[table] = await rows(`SELECT * FROM ${table} ORDER BY ${key}`);
  return {
    events: (await app.store.readAll()).map((event) => [event.position, event.id, event.streamId, event.version, event.type, event.data, event.metadata]),
    journal: await rows('SELECT seq, recorded_at, record FROM traffic_journal ORDER BY seq'),
    debugLogs: await rows('SELECT id, method, status FROM debug_logs ORDER BY id'),
    readModels,
  };
};

describePostgres('gatehouse migrate-store (the built bin)', () => {
  const dirs = [makeTempDir(), makeTempDir()];
  const [sqliteDir, backDir] = dirs;
  let database: TestPostgresDatabase;
  let original: Awaited<ReturnType<typeof snapshot>>;
  const env = (dir: string): Record<string, string> => ({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY });

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    const app = await open(sqliteDir.path);
    try {
      await runHistory(app, clock());
      const record = (at: string, method: string) => JSON.stringify({
        at, profileId: 'p1', profileSlug: 'dev', sessionId: 's1', clientName: 'test', serverId: null, serverName: 'files', kind: 'request', method,
        target: null, status: 'ok', errorCode: null, errorMessage: null, durationMs: 1.25, requestBytes: 10, responseBytes: 20, paramsTruncated: false, resultTruncated: false,
      });
      await app.database.write((manager) =>
        manager.query(`INSERT INTO traffic_journal (recorded_at, record, params, result) VALUES (?, ?, '{}', '{"ok":true}'), (?, ?, NULL, NULL)`, [
          '2026-01-01T00:00:00.000Z', record('2026-01-01T00:00:00.000Z', 'tools/list'), '2026-01-01T00:00:01.000Z', record('2026-01-01T00:00:01.000Z', 'tools/call'),
        ]),
      );
      await app.maintenance.rebuild();
      original = await snapshot(app);
    } finally {
      await app.close();
    }
  }, 60_000);
  afterAll(async () => {
    await database.drop();
    for (const dir of dirs) dir.cleanup();
  });

  it('--to copies the SQLite store into PostgreSQL: same positions, journal and read models; secrets open there', async () => {
    const run = await runCli(env(sqliteDir.path), 'migrate-store', '--to', database.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`events: ${original.events.length} rows`);
    expect(run.stdout).toContain('traffic_journal: 2 rows');
    const copy = await open(sqliteDir.path, database.url);
    try {
      expect(await snapshot(copy)).toEqual(original);
      // The secrets copied sealed open on PostgreSQL with the same master key.
      const [files] = (await copy.database.reads.query(`SELECT env FROM servers WHERE name = 'files'`)) as { env: string }[];
      const opened: string[] = [];
      const visit = (value: unknown): void => {
        if (value === null || typeof value !== 'object') return;
        try {
          opened.push(copy.secrets.open(value as Parameters<typeof copy.secrets.open>[0]));
        } catch {
          Object.values(value).forEach(visit);
        }
      };
      visit(JSON.parse(files.env));
      expect(opened).toContain('files-token-0001');
    } finally {
      await copy.close();
    }
  }, 60_000);

  it('refuses to fill a store that is not empty, and changes nothing', async () => {
    const run = await runCli(env(sqliteDir.path), 'migrate-store', '--to', database.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is not empty');
  }, 30_000);

  it('--from copies it back into a fresh SQLite file with the same contents', async () => {
    const run = await runCli(env(backDir.path), 'migrate-store', '--from', database.url);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const back = await open(backDir.path);
    try {
      expect(await snapshot(back)).toEqual(original);
    } finally {
      await back.close();
    }
  }, 60_000);

  it('says how to use it when --to or --from is missing or not a postgres:// URL', async () => {
    expect((await runCli(env(sqliteDir.path), 'migrate-store')).code).toBe(2);
    const wrong = await runCli(env(sqliteDir.path), 'migrate-store', '--to', 'mysql://x');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('must be a postgres:// URL');
  }, 30_000);
});
