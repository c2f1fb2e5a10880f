import 'reflect-metadata';
import type { Database as SqliteHandle } from 'better-sqlite3';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { POSTGRES_MIGRATIONS } from './migrations/postgres';

/** Entities are contributed by the modules that own their tables (see ./entities.ts). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type for entity classes
export type EntityList = MixedList<Function | string | EntitySchema>;

export type ConnectionRole = 'writer' | 'reader';

/**
 * A TypeORM DataSource on the SQLite file, through better-sqlite3, in WAL mode with a busy
 * timeout (a second process, the CLI next to a running server, waits instead of failing).
 * The writer starts with `synchronous = FULL` (migrations); Database then lets it commit with
 * NORMAL and syncs the log itself, off the event loop (see WalSync), and checkpoints on a thread
 * of its own (see Checkpointer). The reader refuses every write (`query_only`), so that nothing can ever wait for the
 * writer's lock on the one thread this process has. Schema changes only through migrations,
 * never `synchronize`.
 */
export const createSqliteDataSource = (database: string, entities: EntityList, role: ConnectionRole = 'writer'): DataSource =>
  new DataSource({
    type: 'better-sqlite3',
    database,
    entities,
    migrations: role === 'writer' ? MIGRATIONS : [],
    migrationsRun: false,
    synchronize: false,
    logging: false,
    timeout: 5000,
    // Many queries are built once per call site but differ only in their parameters: keep enough.
    statementCacheSize: 500,
    prepareDatabase: (db: SqliteHandle) => {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      // 16 MiB of page cache (default 2 MiB): time travel and rebuilds scan the log.
      db.pragma('cache_size = -16384');
      if (role === 'writer') {
        db.pragma('synchronous = FULL');
        // A group commit runs each job in a savepoint, whose journal (the pages as they were
        // before the job) SQLite keeps in memory only up to 64 KiB and then writes to a temp
        // file, which is never truncated until the transaction ends: a write syscall for most
        // pages each job touches. In memory it holds one job's pages at a time.
        db.pragma('temp_store = MEMORY');
      } else db.pragma('query_only = ON');
    },
  });

/**
 * A TypeORM DataSource on a PostgreSQL database (`postgres://…`), through `pg`. The writer is a
 * small pool (one connection the writer queue keeps, one for migrations and LISTEN); the reader
 * is a pool whose sessions refuse writes (`default_transaction_read_only`), as SQLite's reader
 * does. int8 columns (positions, counts) come back as numbers, as they do from SQLite.
 */
export const createPostgresDataSource = (url: string, entities: EntityList, role: ConnectionRole = 'writer'): DataSource =>
  new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations: role === 'writer' ? POSTGRES_MIGRATIONS : [],
    migrationsRun: false,
    synchronize: false,
    logging: false,
    parseInt8: true,
    poolSize: role === 'writer' ? 3 : 6,
    connectTimeoutMS: 5000,
    applicationName: `gatehouse-${role}`,
    extra: role === 'reader' ? { options: '-c default_transaction_read_only=on' } : {},
  });
