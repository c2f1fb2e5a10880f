import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSource, EntityManager, Migration } from 'typeorm';
import { applySqliteMigrations } from './apply-migrations';
import { Checkpointer } from './checkpointer';
import { createSqliteDataSource, type EntityList } from './data-source';
import { prepareDatabaseFile } from './file-modes';
import { SqliteControlStatements, sqliteHandleOf } from './sqlite-statements';
import type { StorageBackend } from './storage-backend';
import { WalSync } from './wal-sync';
import { closeInOrder } from '../teardown';

/**
 * SQLite through better-sqlite3: a writer connection and a reader connection on one file.
 * A transaction starts with BEGIN IMMEDIATE: it holds the lock from its first statement, so
 * what a job reads cannot change before it writes, also when another process writes. The disk
 * is waited for off the event loop (see WalSync) and the log checkpointed on a thread of its
 * own (see Checkpointer).
 */
export class SqliteBackend implements StorageBackend {
  readonly kind = 'sqlite';
  /** Null where the log is not ours to checkpoint (no WalSync). */
  private readonly checkpointer: Checkpointer | null;
  private readonly control: SqliteControlStatements;

  private constructor(
    readonly location: string,
    readonly looseFiles: readonly string[],
    private readonly writerSource: DataSource,
    private readonly readerSource: DataSource,
    /** Null where a commit waits for the disk itself (`:memory:`, or a file SQLite cannot keep in WAL mode). */
    private readonly wal: WalSync | null,
    /** Runs a bare statement through the writer queue (the Checkpointer's fallback). */
    bare: (sql: string) => void,
  ) {
    // Should the thread fail, SQLite checkpoints in the commits again (its default, 1,000 pages).
    this.checkpointer = wal && new Checkpointer(location, () => bare('PRAGMA wal_autocheckpoint = 1000'));
    const handle = sqliteHandleOf(writerSource.manager);
    if (handle === null) throw new Error('the SQLite writer connection is not open');
    this.control = new SqliteControlStatements(handle);
  }

  static async open(path: string, entities: EntityList, migrate: boolean, bare: (sql: string) => void): Promise<SqliteBackend> {
    const inMemory = path === ':memory:';
    if (!inMemory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const looseFiles = inMemory ? [] : prepareDatabaseFile(path);
    const writer = createSqliteDataSource(path, entities, 'writer');
    await writer.initialize();
    try {
      if (migrate) await applySqliteMigrations(writer);
      // An in-memory database exists once per connection: it reads where it writes.
      const reader = inMemory ? writer : createSqliteDataSource(path, entities, 'reader');
      if (!reader.isInitialized) await reader.initialize();
      const [{ journal_mode: journal }] = (await writer.query('PRAGMA journal_mode')) as { journal_mode: string }[];
      const wal = !inMemory && journal === 'wal' ? new WalSync(path) : null;
      if (wal) {
        await writer.query('PRAGMA synchronous = NORMAL');
        await writer.query('PRAGMA wal_autocheckpoint = 0'); // the Checkpointer's thread does it
      }
      return new SqliteBackend(path, looseFiles, writer, reader, wal, bare);
    } catch (error) {
      await writer.destroy();
      throw error;
    }
  }

  applyMigrations(): Promise<Migration[]> {
    return applySqliteMigrations(this.writerSource);
  }

  get migrations(): DataSource {
    return this.writerSource;
  }

  get reads(): EntityManager {
    return this.readerSource.manager;
  }

  writer(): Promise<EntityManager> {
    return Promise.resolve(this.writerSource.manager);
  }

  /** The log's head is not read here: a statement costs no round trip on SQLite. */
  async begin(manager: EntityManager, then: readonly string[] = []): Promise<null> {
    await this.statements(manager, ['BEGIN IMMEDIATE', ...then]);
    return null;
  }

  /** One by one on the writer's connection: a statement costs no round trip here. */
  async statements(_manager: EntityManager, sql: readonly string[]): Promise<void> {
    this.control.run(sql);
  }

  durable(needsDisk: boolean): Promise<void> | null {
    return needsDisk && this.wal !== null ? this.wal.sync() : null;
  }

  beforeBatch(): Promise<void> | null {
    return this.checkpointer?.due ? this.checkpointer.checkpointTail() : null;
  }

  afterCommit(): void {
    this.checkpointer?.committed();
  }

  async writerFailed(): Promise<void> {
    // One file, one connection: nothing to reconnect.
  }

  async commitMode(manager: EntityManager): Promise<{ journalMode: string; synchronous: string }> {
    const [journal] = (await manager.query('PRAGMA journal_mode')) as { journal_mode: string }[];
    const [sync] = (await manager.query('PRAGMA synchronous')) as { synchronous: number }[];
    const synchronous = ['OFF', 'NORMAL', 'FULL', 'EXTRA'][sync.synchronous] ?? String(sync.synchronous);
    return { journalMode: journal.journal_mode, synchronous: this.wal ? `${synchronous} + fdatasync of the WAL per batch` : synchronous };
  }

  /**
   * SQLite's own switch for a connection that must not write (`query_only`): every write then
   * fails as on a read-only file.
   */
  async refuseWrites(manager: EntityManager, refuse: boolean): Promise<void> {
    await manager.query(`PRAGMA query_only = ${refuse ? 'ON' : 'OFF'}`);
  }

  /** Other processes on the file are not announced: followers poll it. */
  async onCommitsElsewhere(): Promise<null> {
    return null;
  }

  /** One process serves a SQLite file: there is no other instance to hear from. */
  async onMessages(): Promise<null> {
    return null;
  }

  async notify(): Promise<void> {}

  async close(): Promise<void> {
    await closeInOrder([
      () => this.checkpointer?.close(),
      () => (this.readerSource !== this.writerSource ? this.readerSource.destroy() : undefined),
      () => this.writerSource.destroy(),
      () => this.wal?.close(),
    ]);
  }
}
