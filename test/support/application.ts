import { ENTITIES, openApplication, type Application } from '../../src/infrastructure/application';
import { loadConfig } from '../../src/infrastructure/config/config';
import { Database } from '../../src/infrastructure/persistence/database';
import { createTestPostgresDatabase, describePostgres } from './postgres';
import { makeTempDir, TEST_SECRET_KEY } from './temp-dir';

/** The application (store, read models, handlers) on a fresh database in `dir`, as the CLI opens it. */
export const openTestApplication = (dir: string): Promise<Application> =>
  openApplication(loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY }));

/** Just the database of a data directory, migrated. */
export const openTestDatabase = (dir: string, file = 'gatehouse.db'): Promise<Database> => Database.open({ path: `${dir}/${file}`, entities: ENTITIES });

/** A migrated SQLite database in a temporary directory; `cleanup` (after `db.close()`) removes the directory. */
export const openSqliteTestDatabase = async (): Promise<{ db: Database; cleanup: () => Promise<void> }> => {
  const dir = makeTempDir();
  return { db: await openTestDatabase(dir.path), cleanup: async () => dir.cleanup() };
};

/**
 * One migrated SQLite database for a whole describe block, opened before its tests and closed
 * (its directory removed) after them: the tests read it through the returned function.
 */
export const useTestDatabase = (): (() => Database) => {
  const dir = makeTempDir();
  let database: Database | undefined;
  beforeAll(async () => {
    database = await openTestDatabase(dir.path);
  });
  afterAll(async () => {
    try {
      await database?.close();
    } finally {
      dir.cleanup();
    }
  });
  return () => database!;
};

/** An application on a database of its own; `cleanup` (after `app.close()`) throws the database away. */
export type OpenedApplication = Readonly<{ app: Application; cleanup: () => Promise<void> }>;

/** On a fresh SQLite file in a temporary data directory. */
export const openSqliteApplication = async (): Promise<OpenedApplication> => {
  const dir = makeTempDir();
  const app = await openTestApplication(dir.path);
  return { app, cleanup: async () => dir.cleanup() };
};

/** On a fresh database of the PostgreSQL test server, with a temporary data directory beside it. */
export const openPostgresApplication = async (): Promise<OpenedApplication> => {
  const dir = makeTempDir();
  const database = await createTestPostgresDatabase();
  const app = await openApplication(loadConfig({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_DATABASE_URL: database.url }));
  return {
    app,
    cleanup: async () => {
      await database.drop();
      dir.cleanup();
    },
  };
};

/** A fresh application from `open` for each test of the block, closed and thrown away after it. */
export const useApplicationPerTest = (open: () => Promise<OpenedApplication>): (() => Application) => {
  let opened: OpenedApplication | undefined;
  beforeEach(async () => {
    opened = undefined;
    opened = await open();
  });
  afterEach(async () => {
    try {
      await opened?.app.close();
    } finally {
      await opened?.cleanup();
    }
  });
  return () => opened!.app;
};

/** A contract written once, run on SQLite and on PostgreSQL (that leg as `describePostgres` runs it). */
export const describeOnBothBackends = (subject: string, contract: (open: () => Promise<OpenedApplication>) => void): void => {
  describe(`${subject} on SQLite`, () => contract(openSqliteApplication));
  describePostgres(`${subject} on PostgreSQL`, () => contract(openPostgresApplication));
};
