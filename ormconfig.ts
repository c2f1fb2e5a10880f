import 'reflect-metadata';
import type { Database } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { InitialSchema1763700000000 } from './migrations/1763700000000-InitialSchema';
import { TrafficLogs1763800000000 } from './migrations/1763800000000-TrafficLogs';
import { OAuthReadModels1763900000000 } from './migrations/1763900000000-OAuthReadModels';
import { READ_MODEL_ENTITIES } from './src/infrastructure/readmodels/entities';

export const MIGRATIONS = [InitialSchema1763700000000, TrafficLogs1763800000000, OAuthReadModels1763900000000];

/**
 * The TypeORM DataSource: SQLite through better-sqlite3, WAL, durable commits
 * (`synchronous = FULL`: an acknowledged command survives a crash), and a busy timeout so a
 * second process (the CLI next to a running server) waits instead of failing.
 * Schema changes only through migrations, never `synchronize`.
 */
export const createDataSource = (database: string): DataSource =>
  new DataSource({
    type: 'better-sqlite3',
    database,
    entities: READ_MODEL_ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    logging: false,
    timeout: 5000,
    prepareDatabase: (db: Database) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      // 16 MiB of page cache (default 2 MiB): time travel scans the log.
      db.pragma('cache_size = -16384');
    },
  });

/** Used by the TypeORM CLI (`npx typeorm -d dist/ormconfig.js migration:show`). */
export default createDataSource(process.env.GATEHOUSE_DATABASE ?? 'gatehouse.db');
