import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../ormconfig';
import { Keyring, loadMasterKey, type SecretBox } from './crypto';
import { Sql, SqliteEventStore } from './eventstore';
import { CONFIGURATION_PROJECTIONS } from './projections';

export type OpenedDatabase = Readonly<{
  dataSource: DataSource;
  sql: Sql;
  store: SqliteEventStore;
  secrets: SecretBox;
  close: () => Promise<void>;
}>;

export type OpenDatabaseOptions = Readonly<{
  database: string;
  dataDir: string;
  secretKey: string | undefined;
  /** Apply pending migrations (true for `serve`; `migrate` runs them explicitly). */
  migrate?: boolean;
}>;

export const rawConnection = (dataSource: DataSource): Database =>
  (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;

/** Opens the SQLite database, applies migrations, and wires the event store with its projections. */
export const openDatabase = async (options: OpenDatabaseOptions): Promise<OpenedDatabase> => {
  if (options.database !== ':memory:') mkdirSync(dirname(options.database), { recursive: true, mode: 0o700 });
  const dataSource = createDataSource(options.database);
  await dataSource.initialize();
  try {
    if (options.migrate !== false) await dataSource.runMigrations({ transaction: 'each' });
    const sql = new Sql(rawConnection(dataSource));
    const secrets = new Keyring(sql.db).open(loadMasterKey(options.dataDir, options.secretKey));
    const store = new SqliteEventStore(sql, CONFIGURATION_PROJECTIONS);
    return { dataSource, sql, store, secrets, close: () => dataSource.destroy() };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
};
