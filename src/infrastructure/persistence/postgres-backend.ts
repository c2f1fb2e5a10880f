import { Client } from 'pg';
import type { DataSource, EntityManager, Migration, QueryRunner } from 'typeorm';
import { applyPostgresMigrations } from './apply-migrations';
import { redactDatabaseUrl } from '../config/database-url';
import { createPostgresDataSource, type EntityList } from './data-source';
import { EVENT_LOG_LOCK } from './migrations/postgres/ddl';
import { DeferredWrites } from './deferred-writes';
import { keepConnection } from './postgres-kept-connection';
import { simpleQuery } from './postgres-simple-query';
import type { StorageBackend } from './storage-backend';

/** NOTIFY'd by every write transaction of a gateway on the database (see begin). */
const COMMITS_CHANNEL = 'gatehouse_commits';

/** The database named by GATEHOUSE_DATABASE_URL cannot be reached or opened. */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
  readonly code = 'DATABASE_UNREACHABLE';
  constructor(readonly location: string, cause: unknown) {
    super(`cannot open the PostgreSQL database at ${location}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * PostgreSQL through `pg`: the writer queue keeps one connection of the writer pool for its
 * transactions (holding back writes nobody waits for: see DeferredWrites), the reader pool refuses writes. A write transaction takes the event log's
 * advisory lock first (pg_advisory_xact_lock, held until it ends): the transactions of every
 * instance on the database follow one another as SQLite's BEGIN IMMEDIATE makes them, so an
 * expected-version check cannot be raced from another instance and positions are handed out in
 * commit order (the events trigger takes the same lock for writers that are not us). A commit
 * returns once PostgreSQL has it on disk (synchronous_commit, the server's default).
 */
export class PostgresBackend implements StorageBackend {
  readonly kind = 'postgres';
  readonly looseFiles: readonly string[] = [];
  private runner: QueryRunner | null = null;
  /** The writer runner's connection. */
  private client: Client | null = null;

  private constructor(
    private readonly url: string,
    readonly location: string,
    private readonly writerSource: DataSource,
    private readonly readerSource: DataSource,
  ) {}

  static async open(url: string, entities: EntityList, migrate: boolean): Promise<PostgresBackend> {
    const location = redactDatabaseUrl(url);
    const writer = createPostgresDataSource(url, entities, 'writer');
    const reader = createPostgresDataSource(url, entities, 'reader');
    try {
      await writer.initialize();
      if (migrate) await applyPostgresMigrations(url, writer);
      await reader.initialize();
    } catch (error) {
      if (reader.isInitialized) await reader.destroy();
      if (writer.isInitialized) await writer.destroy();
      throw new DatabaseUnreachableError(location, error);
    }
    return new PostgresBackend(url, location, writer, reader);
  }

  applyMigrations(): Promise<Migration[]> {
    return applyPostgresMigrations(this.url, this.writerSource);
  }

  get migrations(): DataSource {
    return this.writerSource;
  }

  get reads(): EntityManager {
    return this.readerSource.manager;
  }

  async writer(): Promise<EntityManager> {
    if (this.runner === null) {
      const runner = this.writerSource.createQueryRunner('master');
      // TypeORM types the connection it hands out as any; on PostgreSQL it is a pg client.
      const client: Client = await runner.connect();
      DeferredWrites.install(runner, client);
      this.runner = runner;
      this.client = client;
    }
    return this.runner.manager;
  }

  /**
   * BEGIN, the event log's lock, NOTIFY and the log's head in one round trip, on the connection
   * itself: TypeORM's runner answers a query of several statements with nothing. The head is
   * read by a statement of its own after the lock's, so its snapshot has every transaction that
   * committed while this one waited. Nothing is held back between transactions (a COMMIT or
   * ROLLBACK takes or drops it), so nothing has to go out first.
   */
  async begin(manager: EntityManager, then: readonly string[] = []): Promise<number> {
    const client = this.client;
    if (client === null || manager !== this.runner?.manager) throw new Error('begin runs on the writer connection');
    // The notification goes out when (and only if) the transaction commits: other instances'
    // followers read the log then instead of at their next poll.
    const sql = ['BEGIN', `SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK}), pg_notify('${COMMITS_CHANNEL}', '')`, 'SELECT MAX(position) AS head FROM events', ...then];
    const results = await simpleQuery(client, sql);
    return Number((results[2].rows[0] as { head: number | string | null }).head ?? 0);
  }

  /**
   * One round trip: a query without parameters goes out as one simple query, and PostgreSQL
   * runs its statements in turn (stopping at the first that fails, which fails the query).
   */
  async statements(manager: EntityManager, sql: readonly string[]): Promise<void> {
    if (sql.length > 0) await manager.query(sql.join('; '));
    else await DeferredWrites.of(manager.queryRunner)?.flush();
  }

  durable(): Promise<void> | null {
    return null;
  }

  beforeBatch(): null {
    return null;
  }

  afterCommit(): void {}

  /** The connection may be broken (server restarted, network): the next batch takes a new one. */
  async writerFailed(): Promise<void> {
    const runner = this.runner;
    this.runner = null;
    this.client = null;
    // A connection that broke was already released with its error (the pool discards it);
    // one that is fine leaves no transaction open behind it.
    await runner?.query('ROLLBACK').catch(() => undefined);
    await runner?.release().catch(() => undefined);
  }

  async commitMode(manager: EntityManager): Promise<{ journalMode: string; synchronous: string }> {
    const [{ synchronous_commit: sync }] = (await manager.query('SHOW synchronous_commit')) as { synchronous_commit: string }[];
    return { journalMode: 'postgresql', synchronous: `synchronous_commit = ${sync}` };
  }

  async refuseWrites(manager: EntityManager, refuse: boolean): Promise<void> {
    await manager.query(`SET default_transaction_read_only = ${refuse ? 'on' : 'off'}`);
  }

  /**
   * LISTEN on a connection of its own; a lost connection is taken again after a second (the
   * follower's polling covers the gap).
   */
  onCommitsElsewhere(wake: () => void, onError: (error: unknown) => void): Promise<() => Promise<void>> {
    return keepConnection(this.url, { setUp: (client) => client.query(`LISTEN ${COMMITS_CHANNEL}`), onNotification: () => wake() }, onError);
  }

  onMessages(channel: string, receive: (payload: string) => void, onError: (error: unknown) => void): Promise<() => Promise<void>> {
    return keepConnection(this.url, { setUp: (client) => client.query(`LISTEN ${channel}`), onNotification: receive }, onError);
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.reads.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  async close(): Promise<void> {
    // Closing: a connection that cannot be released is ended with the pool below.
    await this.runner?.release().catch(() => undefined);
    this.runner = null;
    this.client = null;
    try {
      await this.readerSource.destroy();
    } finally {
      await this.writerSource.destroy();
    }
  }
}
