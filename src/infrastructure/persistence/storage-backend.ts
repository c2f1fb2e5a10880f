import type { DataSource, EntityManager, Migration } from 'typeorm';

/**
 * What the writer queue (Database) needs from a database engine: the connections, how a write
 * transaction starts, when a commit is durable, and the engine's own switches. SQLite
 * (sqlite-backend.ts) and PostgreSQL (postgres-backend.ts) implement it; nothing outside
 * src/infrastructure/persistence knows which one runs.
 */
export interface StorageBackend {
  readonly kind: 'sqlite' | 'postgres';
  /** The SQLite file, or the PostgreSQL URL without its password: safe to print. */
  readonly location: string;
  /** The database's files that others than their owner could read or write when it was opened. */
  readonly looseFiles: readonly string[];
  /** The DataSource migrations run on. */
  readonly migrations: DataSource;
  /** Applies the pending migrations, once whoever else opens the database meanwhile (see apply-migrations.ts). */
  applyMigrations(): Promise<Migration[]>;
  /** Reads committed state only; never a write. */
  readonly reads: EntityManager;
  /** The one connection write jobs run on (reconnected after it was lost). */
  writer(): Promise<EntityManager>;
  /**
   * Starts a write transaction that holds the database's write lock from its first statement,
   * then runs `then` (statements without parameters) in it. Answers the event log's head as
   * the transaction sees it when the backend reads it in the same round trip (PostgreSQL), else null.
   */
  begin(manager: EntityManager, then?: readonly string[]): Promise<number | null>;
  /**
   * Runs statements without parameters in turn (PostgreSQL: in one round trip, after the writes
   * held back; with none given, sends just those).
   */
  statements(manager: EntityManager, sql: readonly string[]): Promise<void>;
  /** After a batch committed: settles once it is on disk; null when COMMIT already waited for the disk. */
  durable(needsDisk: boolean): Promise<void> | null;
  /** What to wait for before each batch (SQLite: the checkpoint's tail); null: nothing. */
  beforeBatch(): Promise<void> | null;
  /** After a batch with at least one committed job. */
  afterCommit(): void;
  /** A transaction could not start or end: the writer connection may be gone. */
  writerFailed(error: unknown): Promise<void>;
  commitMode(manager: EntityManager): Promise<{ journalMode: string; synchronous: string }>;
  refuseWrites(manager: EntityManager, refuse: boolean): Promise<void>;
  /**
   * Calls `wake` soon after another process commits a write (PostgreSQL: LISTEN/NOTIFY); null
   * when the engine cannot tell (SQLite: followers poll). The result stops listening.
   */
  onCommitsElsewhere(wake: () => void, onError: (error: unknown) => void): Promise<(() => Promise<void>) | null>;
  /**
   * Calls `receive` with the payload of every notification on `channel`, from any process on the
   * database (PostgreSQL: LISTEN on a connection of its own); null when the engine has none
   * (SQLite: one instance). The result stops listening.
   */
  onMessages(channel: string, receive: (payload: string) => void, onError: (error: unknown) => void): Promise<(() => Promise<void>) | null>;
  /** Sends a notification on `channel` at once, outside any write (PostgreSQL: pg_notify); nothing on SQLite. */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}
