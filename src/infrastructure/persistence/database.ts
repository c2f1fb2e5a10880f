import type { EntityManager } from 'typeorm';
import type { EntityList } from './data-source';
import { DatabaseBusyError, DatabaseUnavailableError, isDatabaseUnavailable } from './database-errors';
import { PostgresBackend } from './postgres-backend';
import { SqliteBackend } from './sqlite-backend';
import type { StorageBackend } from './storage-backend';
import { closeScope, LOG_HEAD_AT_BEGIN, openScope } from './transaction-scope';

/**
 * `full`: the commit is on disk before the work's promise settles (configuration). `relaxed`:
 * committed without waiting for the disk (telemetry): it may be lost to a power cut, never to a
 * crash of the process, and it is made durable by the next full commit.
 */
export type Durability = 'full' | 'relaxed';

export type WriteOptions = Readonly<{
  durability?: Durability;
  /**
   * The work may run again after what it did was rolled back (it decides from the database alone
   * and changes nothing else): in a group commit, consecutive such jobs share one savepoint and
   * one round trip at their end; if one of them fails, they are rolled back together and run
   * again one by one, each in a savepoint of its own, so that each is judged on its own as always.
   */
  rerunnable?: boolean;
}>;

/** Work run in a write transaction. It must not wait for anything but the database. */
export type WriteWork<T> = (manager: EntityManager) => Promise<T>;

type Job = {
  work: WriteWork<unknown>;
  durability: Durability;
  /** Runs alone and outside a transaction of ours (migrations bring their own, pragmas need none). */
  bare: boolean;
  /** See WriteOptions.rerunnable. */
  rerunnable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

type Settled = { job: Job } & ({ ok: true; value: unknown } | { ok: false; error: unknown });

export type DatabaseOptions = Readonly<{
  /** The SQLite file (`:memory:` works, with a single connection); unused when `url` is given. */
  path: string;
  /** A PostgreSQL database (`postgres://…`, GATEHOUSE_DATABASE_URL): used instead of the SQLite file. */
  url?: string | null;
  entities: EntityList;
  /** Apply pending migrations on open (`serve` and the CLI; `migrate` runs them on its own). */
  migrate?: boolean;
  /** Most jobs committed in one transaction (group commit); 1 commits every job on its own. */
  maxBatch?: number;
  /** Most writes waiting for their turn; beyond it a write is refused at once (DatabaseBusyError). */
  maxPending?: number;
}>;

const DEFAULT_MAX_BATCH = 256;
const DEFAULT_MAX_PENDING = 1024;

/**
 * The database of one process, SQLite (the default) or PostgreSQL (see StorageBackend): a
 * writer connection that every write goes through, one transaction at a time, and readers for
 * everything else.
 *
 * One writer, because SQLite has one write lock and better-sqlite3 waits for it synchronously:
 * a second connection of this process waiting for a lock held by this process would stop the
 * event loop that has to release it (PostgreSQL takes one lock per transaction too, shared by
 * every instance on the database). Writes queue up instead, and jobs that arrive while a
 * transaction commits are committed together in the next one (group commit: one fsync for
 * many), each in its own savepoint, so that one failing job leaves the others intact. A
 * transaction holds the write lock from its first statement, so what a job reads cannot
 * change before it writes, also when another process writes.
 *
 * SQLite's disk is waited for off the event loop (see WalSync): the commit writes the log, the
 * sync runs on libuv's thread pool while the next batch is committed, and callers hear back
 * once the sync that covers their commit is done, in queue order. At most `maxPending` jobs
 * wait; the next one is refused with DatabaseBusyError.
 *
 * The reader refuses writes and never sees a transaction in progress: TypeORM is asynchronous,
 * so other code runs between the statements of a write, and reading on the writer's
 * connection would see (and cache) what may yet be rolled back.
 */
export class Database {
  private readonly queue: Job[] = [];
  private draining = false;
  private closed = false;
  /** Settles once every batch committed so far has been answered. */
  private answered: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly backend: StorageBackend,
    private readonly limits: Readonly<{ maxBatch: number; maxPending: number }>,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    const limits = { maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH, maxPending: options.maxPending ?? DEFAULT_MAX_PENDING };
    const migrate = options.migrate !== false;
    if (options.url) return new Database(await PostgresBackend.open(options.url, options.entities, migrate), limits);
    let database: Database | null = null;
    // The checkpointer's fallback (SQLite checkpoints on its own again): it fails only when the
    // database is closing or lost, and then there is nothing left to checkpoint for.
    const bare = (sql: string): void => void database?.enqueue((manager) => manager.query(sql), 'relaxed', true).catch(() => undefined);
    database = new Database(await SqliteBackend.open(options.path, options.entities, migrate, bare), limits);
    return database;
  }

  /** Which engine: what the benchmarks and `/readyz` report. */
  get kind(): 'sqlite' | 'postgres' {
    return this.backend.kind;
  }

  /** The SQLite file, or the PostgreSQL URL without its password. */
  get path(): string {
    return this.backend.location;
  }

  /** The database's files that others than their owner could read or write when it was opened ("<file> is 0644"). */
  get looseFiles(): readonly string[] {
    return this.backend.looseFiles;
  }

  /** Reads committed state only; never a write. */
  get reads(): EntityManager {
    return this.backend.reads;
  }

  /**
   * Runs `work` in a write transaction and settles with its result once that is committed (or
   * with its error, once its changes are rolled back).
   */
  write<T>(work: WriteWork<T>, options: WriteOptions = {}): Promise<T> {
    return this.enqueue(work, options.durability ?? 'full', false, options.rerunnable === true);
  }

  /** Whether migrations are waiting to be applied. */
  async pendingMigrations(): Promise<boolean> {
    return this.backend.migrations.showMigrations();
  }

  /** Applies pending migrations (see apply-migrations.ts); returns their names. */
  async migrate(): Promise<string[]> {
    const applied = await this.enqueue(() => this.backend.applyMigrations(), 'full', true);
    return applied.map((migration) => migration.name);
  }

  /** How the writer commits (what the benchmarks report next to their numbers). */
  async commitMode(): Promise<{ journalMode: string; synchronous: string }> {
    return this.enqueue((manager) => this.backend.commitMode(manager), 'full', true);
  }

  /**
   * The engine's own switch for a connection that must not write (SQLite's `query_only`,
   * PostgreSQL's `default_transaction_read_only`): every write then fails as on a read-only
   * database. For readiness probes under test and for operators draining a node; it applies
   * between transactions.
   */
  async refuseWrites(refuse: boolean): Promise<void> {
    await this.enqueue((manager) => this.backend.refuseWrites(manager, refuse), 'full', true);
  }

  /** See StorageBackend.onMessages. */
  onMessages(channel: string, receive: (payload: string) => void, onError: (error: unknown) => void): Promise<(() => Promise<void>) | null> {
    return this.backend.onMessages(channel, receive, onError);
  }

  /** See StorageBackend.notify. */
  notify(channel: string, payload: string): Promise<void> {
    return this.backend.notify(channel, payload);
  }

  /** See StorageBackend.onCommitsElsewhere. */
  onCommitsElsewhere(wake: () => void, onError: (error: unknown) => void): Promise<(() => Promise<void>) | null> {
    return this.backend.onCommitsElsewhere(wake, onError);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Jobs already queued still run: their callers were promised an answer.
    while (this.draining || this.queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
    await this.answered;
    await this.backend.close();
  }

  private enqueue<T>(work: WriteWork<T>, durability: Durability, bare: boolean, rerunnable = false): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    if (!bare && this.queue.length >= this.limits.maxPending) return Promise.reject(new DatabaseBusyError(this.queue.length));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as WriteWork<unknown>, durability, bare, rerunnable, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  /** The next jobs to run together: a bare job alone, else every transactional one up to the next bare one. */
  private nextBatch(): Job[] {
    if (this.queue[0].bare) return this.queue.splice(0, 1);
    const bare = this.queue.findIndex((job) => job.bare);
    return this.queue.splice(0, Math.min(bare === -1 ? this.queue.length : bare, this.limits.maxBatch));
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const before = this.backend.beforeBatch();
        if (before !== null) await before; // taken off the queue at once when there is nothing to wait for
        const batch = this.nextBatch();
        const settled = batch[0].bare ? [await this.runBare(batch[0])] : await this.commit(batch);
        this.answer(settled);
        if (!batch[0].bare && settled.some((entry) => entry.ok)) this.backend.afterCommit();
        // A batch runs without giving the event loop a turn (the driver is synchronous under its
        // promises): give it one before the next, so requests are read and the batch fills.
        if (this.queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Answers a batch's callers once the disk has it (when one of them needs that), and after
   * every earlier batch's, so that whoever publishes after a commit publishes in commit order.
   * The next batch is committed meanwhile: the disk's wait overlaps the next batch's work. If
   * the disk fails, so do the batch's durable writes (their outcome is unknown).
   */
  private answer(settled: readonly Settled[]): void {
    const sync = this.backend.durable(settled.some((entry) => entry.ok && (entry.job.durability === 'full' || entry.job.bare)));
    const disk = sync === null ? null : sync.then(() => null, (error: unknown) => error);
    this.answered = Promise.all([this.answered, disk]).then(([, diskError]) => {
      for (const entry of settled) {
        if (diskError !== null && entry.ok && entry.job.durability === 'full') {
          entry.job.reject(new Error(`committed, but the disk did not confirm it: ${(diskError as Error).message}`, { cause: diskError }));
        } else if (entry.ok) entry.job.resolve(entry.value);
        else entry.job.reject(entry.error);
      }
    });
  }

  private async runBare(job: Job): Promise<Settled> {
    try {
      return { job, ok: true, value: await job.work(await this.backend.writer()) };
    } catch (error) {
      return { job, ok: false, error };
    }
  }

  /**
   * One transaction for the batch: every job in a savepoint of its own when there are several.
   * The savepoint is taken with BEGIN, released and taken again between two jobs (one round
   * trip on PostgreSQL), and rolled back to after a job that failed (it stays open for the next
   * one); COMMIT releases the last. What a job's statements end with (the writes PostgreSQL's
   * writer held back, the release) is part of the job: if it fails, the job fails. Consecutive
   * rerunnable jobs share a savepoint and its release (see `together`). The transaction's
   * TransactionScope follows the savepoints.
   */
  private async commit(batch: readonly Job[]): Promise<Settled[]> {
    const savepoints = batch.length > 1;
    let manager: EntityManager;
    let head: number | null;
    try {
      manager = await this.backend.writer();
      head = await this.backend.begin(manager, savepoints ? ['SAVEPOINT job'] : []);
    } catch (cause) {
      await this.backend.writerFailed(cause);
      const error = new DatabaseUnavailableError(cause);
      return batch.map((job) => ({ job, ok: false, error }));
    }
    const settled: Settled[] = [];
    const scope = openScope(manager);
    if (head !== null) scope.set(LOG_HEAD_AT_BEGIN, head);
    try {
      if (!savepoints) {
        const [job] = batch;
        const entry = await this.settle(manager, job, ['COMMIT']);
        if (entry.ok) return [entry];
        if (isDatabaseUnavailable(entry.error)) throw entry.error; // the COMMIT may be what failed
        await this.backend.statements(manager, ['ROLLBACK']);
        return [entry];
      }
      let next = 0;
      while (next < batch.length) {
        let end = next + 1;
        while (end < batch.length && batch[next].rerunnable && batch[end].rerunnable) end += 1;
        const jobs = batch.slice(next, end);
        const release = end < batch.length ? ['RELEASE job', 'SAVEPOINT job'] : [];
        scope.savepoint();
        const done = jobs.length > 1 ? await this.together(manager, jobs, release) : null;
        if (done === null) {
          if (jobs.length > 1) scope.rollBack();
          for (const [index, job] of jobs.entries()) {
            scope.savepoint();
            const entry = await this.settle(manager, job, index < jobs.length - 1 ? ['RELEASE job', 'SAVEPOINT job'] : release);
            settled.push(entry);
            if (!entry.ok && isDatabaseUnavailable(entry.error)) throw entry.error; // the connection is gone: nothing of the batch is stored
            if (!entry.ok) {
              await this.backend.statements(manager, ['ROLLBACK TO job']);
              scope.rollBack();
            }
          }
        } else settled.push(...done);
        next = end;
      }
      await this.backend.statements(manager, ['COMMIT']);
      return settled;
    } catch (error) {
      // The commit itself failed (disk full, I/O error, connection lost): nothing of the batch is stored.
      await this.backend.statements(manager, ['ROLLBACK']).catch(() => undefined);
      await this.backend.writerFailed(error);
      const failure = isDatabaseUnavailable(error) ? new DatabaseUnavailableError(error) : error;
      return batch.map((job) => ({ job, ok: false, error: failure }));
    } finally {
      closeScope(manager);
    }
  }

  /**
   * Rerunnable jobs one after another in the savepoint taken before them, then `release`: on
   * PostgreSQL their held-back writes go out together, with it. Null when one of them failed,
   * or what they end with did: everything they did is rolled back, for the caller to run them
   * again one by one (which tells whose failure it was).
   */
  private async together(manager: EntityManager, jobs: readonly Job[], release: readonly string[]): Promise<Settled[] | null> {
    const values: unknown[] = [];
    try {
      for (const job of jobs) values.push(await job.work(manager));
      await this.backend.statements(manager, release);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      await this.backend.statements(manager, ['ROLLBACK TO job']);
      return null;
    }
    return jobs.map((job, index) => ({ job, ok: true, value: values[index] }));
  }

  /** Runs a job, then the statements it ends with; the caller rolls back when it failed. */
  private async settle(manager: EntityManager, job: Job, then: readonly string[]): Promise<Settled> {
    try {
      const value = await job.work(manager);
      await this.backend.statements(manager, then);
      return { job, ok: true, value };
    } catch (error) {
      return { job, ok: false, error };
    }
  }
}
