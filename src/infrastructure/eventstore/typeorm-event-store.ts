import { Subject } from 'rxjs';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { emptyTables } from '../persistence/bulk-insert';
import { compiledQuery } from '../persistence/compiled-query';
import type { Database } from '../persistence/database';
import { LOG_HEAD_AT_BEGIN, transactionScope } from '../persistence/transaction-scope';
import { firstAppendOfMinted, firstUseOfMinted } from './event-ids';
import { EventRecord, StreamRecord } from './event.entities';
import type { AppendGuard, InlineProjection } from './projection';
import { StreamCache } from './stream-cache';
import {
  ConcurrencyError, DuplicateEventError, type AppendResult, type EventLog, type EventMetadata, type EventStore, type ExpectedVersion,
  type NewEvent, type ReadAllOptions, type StoredEvent, type StoreTransaction, type StreamAppend, type TransactOptions,
} from './types';
import { CURRENT_SCHEMA_VERSION, upcast } from './upcasting';

type EventRow = {
  position: number;
  eventId: string;
  streamId: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: string;
  metadata: string;
  recordedAt: string;
};

const toStoredEvent = (row: EventRow): StoredEvent => ({
  position: row.position,
  id: row.eventId,
  streamId: row.streamId,
  version: row.version,
  type: row.type,
  schemaVersion: row.schemaVersion,
  data: upcast(row.type, row.schemaVersion, JSON.parse(row.data)),
  metadata: JSON.parse(row.metadata) as EventMetadata,
  recordedAt: row.recordedAt,
});

/**
 * An event as a rebuild hands it to the projections: its metadata, which no read model reads,
 * parsed only when asked for (a third of the text of a typical event, and garbage to collect).
 */
class ReplayedEvent implements StoredEvent {
  readonly position: number;
  readonly id: string;
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly recordedAt: string;
  private readonly metadataText: string;

  constructor(row: EventRow) {
    this.position = row.position;
    this.id = row.eventId;
    this.streamId = row.streamId;
    this.version = row.version;
    this.type = row.type;
    this.schemaVersion = row.schemaVersion;
    this.data = upcast(row.type, row.schemaVersion, JSON.parse(row.data));
    this.recordedAt = row.recordedAt;
    this.metadataText = row.metadata;
  }

  get metadata(): EventMetadata {
    return JSON.parse(this.metadataText) as EventMetadata;
  }
}

const streamType = (streamId: string): string => streamId.split('-')[0];

/** Raw rows (no entity hydration: a stream is read before every command). */
const events = (manager: EntityManager): SelectQueryBuilder<EventRecord> =>
  manager
    .createQueryBuilder(EventRecord, 'e')
    .select('e.position', 'position')
    .addSelect('e.eventId', 'eventId')
    .addSelect('e.streamId', 'streamId')
    .addSelect('e.streamVersion', 'version')
    .addSelect('e.type', 'type')
    .addSelect('e.schemaVersion', 'schemaVersion')
    .addSelect('e.data', 'data')
    .addSelect('e.metadata', 'metadata')
    .addSelect('e.recordedAt', 'recordedAt');

// The statements of every command and every replay, compiled once (see CompiledQuery).
const STREAM = compiledQuery<{ streamId: string }>((manager, p) => events(manager).where('e.streamId = :streamId', { streamId: p.streamId }).orderBy('e.streamVersion'));
const STREAM_UP_TO = compiledQuery<{ streamId: string; upTo: number }>((manager, p) =>
  events(manager).where('e.streamId = :streamId AND e.position <= :upTo', { streamId: p.streamId, upTo: p.upTo }).orderBy('e.streamVersion'),
);
const STREAM_VERSION = compiledQuery<{ streamId: string }>((manager, p) =>
  manager.createQueryBuilder(StreamRecord, 's').select('s.version', 'version').where('s.streamId = :streamId', { streamId: p.streamId }),
);
/** A rebuild's batch: a range of positions (a compiled query cannot vary its LIMIT; a gap only makes a batch smaller). */
const POSITIONS = compiledQuery<{ after: number; upTo: number }>((manager, p) =>
  events(manager).where('e.position > :after AND e.position <= :upTo', { after: p.after, upTo: p.upTo }).orderBy('e.position'),
);
const HEAD = compiledQuery<object>((manager) => manager.createQueryBuilder(EventRecord, 'e').select('MAX(e.position)', 'head'));
const POSITION_AT = compiledQuery<{ time: string }>((manager, p) =>
  manager.createQueryBuilder(EventRecord, 'e').select('MAX(e.position)', 'position').where('e.recordedAt <= :time', { time: p.time }),
);
const EVENT_BY_ID = compiledQuery<{ eventId: string }>((manager, p) =>
  manager.createQueryBuilder(EventRecord, 'e').select('e.streamId', 'streamId').addSelect('e.type', 'type').where('e.eventId = :eventId', { eventId: p.eventId }),
);
/**
 * With the position the store assigned (see Transaction.batch): the columns are listed, as
 * TypeORM leaves a generated key out of an INSERT on PostgreSQL otherwise. Nobody reads its
 * outcome, so on PostgreSQL's writer it goes out with the next statement (CompiledQuery.write).
 */
const INSERT_EVENT = compiledQuery<EventRecord>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(EventRecord, ['position', 'eventId', 'streamId', 'streamVersion', 'type', 'schemaVersion', 'data', 'metadata', 'recordedAt'])
    .values({
      position: p.position, eventId: p.eventId, streamId: p.streamId, streamVersion: p.streamVersion, type: p.type, schemaVersion: p.schemaVersion,
      data: p.data, metadata: p.metadata, recordedAt: p.recordedAt,
    })
    .updateEntity(false),
);
const INSERT_STREAM = compiledQuery<StreamRecord>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(StreamRecord)
    .values({ streamId: p.streamId, streamType: p.streamType, version: p.version, createdAt: p.createdAt, updatedAt: p.updatedAt })
    .updateEntity(false),
);
const UPDATE_STREAM = compiledQuery<Pick<StreamRecord, 'streamId' | 'version' | 'updatedAt'>>((manager, p) =>
  manager.createQueryBuilder().update(StreamRecord).set({ version: p.version, updatedAt: p.updatedAt }).where('streamId = :streamId', { streamId: p.streamId }).updateEntity(false),
);

/**
 * A transaction of the TypeORM store: besides the log, its `manager` is the transaction's
 * connection, for the read-model lookups a command makes before it decides (they see what the
 * transaction wrote so far). Only infrastructure knows of it; the port is `StoreTransaction`.
 */
export interface ManagedTransaction extends StoreTransaction {
  readonly manager: EntityManager;
}

/** The store as the command handlers hold it: the port, with transactions that carry their connection. */
export type ManagedEventStore = EventStore<ManagedTransaction>;

/** The reads of the log, on whichever connection they are given. */
class LogReads implements EventLog {
  constructor(protected readonly manager: EntityManager) {}

  async readStream(streamId: string, options: { upTo?: number } = {}): Promise<StoredEvent[]> {
    const rows =
      options.upTo === undefined
        ? await STREAM.all<EventRow>(this.manager, { streamId })
        : await STREAM_UP_TO.all<EventRow>(this.manager, { streamId, upTo: options.upTo });
    return rows.map(toStoredEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const query = events(this.manager).where('e.position > :after', { after: options.after ?? 0 });
    if (options.upTo !== undefined) query.andWhere('e.position <= :upTo', { upTo: options.upTo });
    if (options.streamId !== undefined) query.andWhere('e.streamId = :streamId', { streamId: options.streamId });
    if (options.streamPrefix !== undefined) {
      query.andWhere('e.streamId >= :from AND e.streamId < :to', { from: options.streamPrefix, to: `${options.streamPrefix}\uffff` });
    }
    if (options.types !== undefined && options.types.length > 0) query.andWhere('e.type IN (:...types)', { types: options.types });
    query.orderBy('e.position', options.newestFirst === true ? 'DESC' : 'ASC');
    if (options.limit !== undefined) query.limit(options.limit);
    return (await query.getRawMany<EventRow>()).map(toStoredEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    return (await STREAM_VERSION.one<{ version: number }>(this.manager, { streamId }))?.version ?? 0;
  }

  async headPosition(): Promise<number> {
    return (await HEAD.one<{ head: number | null }>(this.manager, {}))?.head ?? 0;
  }

  async positionAt(time: string): Promise<number> {
    return (await POSITION_AT.one<{ position: number | null }>(this.manager, { time }))?.position ?? 0;
  }
}

type Rules = Readonly<{ projections: readonly InlineProjection[]; guards: readonly AppendGuard[] }>;

/** What the write transaction in progress has done to the log, shared by its jobs (see TransactionScope). */
type BatchState = Readonly<{
  /** The log's head when the transaction started. */
  start: number;
  /** Its head now: the last position handed out in the transaction. */
  head: number;
  /** The streams the transaction's jobs appended to. */
  appended: ReadonlySet<string>;
}>;

const BATCH = Symbol('event log batch');

/**
 * One job's part of a write transaction: appends go through the guards, into the log, and
 * through the projections. The transaction holds the write lock, so a stream it read whole or
 * appended to keeps that version until it ends: the version check of an append after
 * `readStream` (every command) asks nothing more.
 *
 * Global positions are handed out here, from the log's head read once per transaction (the
 * transaction holds the write lock, so nobody else appends meanwhile) and kept in its
 * TransactionScope, which forgets what a rolled-back job took: positions stay gap-free and in
 * commit order without a round trip per event to learn them. Every insert into the log must
 * therefore go through the store: one that does not, in the same transaction, makes the store's
 * next append in it fail on the duplicate position (never a gap or a reordering).
 */
class Transaction extends LogReads implements ManagedTransaction {
  private readonly versions = new Map<string, number>();
  /** The streams this job read whole, as they are now (its own appends included): for the cache once it commits. */
  readonly readWhole = new Map<string, StoredEvent[]>();

  constructor(
    override readonly manager: EntityManager,
    private readonly rules: Rules,
    private readonly cache: StreamCache,
    /** What this transaction stored, to be published once it commits. */
    readonly stored: StoredEvent[],
  ) {
    super(manager);
  }

  override async readStream(streamId: string, options: { upTo?: number } = {}): Promise<StoredEvent[]> {
    if (options.upTo !== undefined) return super.readStream(streamId, options);
    const batch = await this.batch();
    const known = this.readWhole.get(streamId) ?? (batch.appended.has(streamId) ? undefined : this.cache.get(streamId));
    // A stream named by newStreamId is empty when first read (see there).
    const events = known !== undefined ? [...known] : firstUseOfMinted(streamId) ? [] : await super.readStream(streamId);
    this.readWhole.set(streamId, [...events]);
    this.versions.set(streamId, events.length === 0 ? 0 : events[events.length - 1].version);
    return events;
  }

  override async streamVersion(streamId: string): Promise<number> {
    return this.versions.get(streamId) ?? super.streamVersion(streamId);
  }

  append(streamId: string, newEvents: readonly NewEvent[], expectedVersion: ExpectedVersion, metadata: EventMetadata): Promise<AppendResult> {
    return this.appendMany([{ streamId, events: newEvents, expectedVersion }], metadata);
  }

  async appendMany(appends: readonly StreamAppend[], metadata: EventMetadata): Promise<AppendResult> {
    const stored: StoredEvent[] = [];
    const versions: Record<string, number> = {};
    let duplicates = 0;
    let total = 0;
    for (const { streamId, events: newEvents, expectedVersion } of appends) {
      total += newEvents.length;
      firstUseOfMinted(streamId); // appended without a read: no longer taken for new after this
      const current = await this.streamVersion(streamId);
      if (newEvents.length > 0 && (await this.alreadyStored(streamId, newEvents))) {
        duplicates += newEvents.length;
        versions[streamId] = current;
        continue;
      }
      checkVersion(streamId, expectedVersion, current);
      let version = current;
      for (const event of newEvents) {
        version += 1;
        stored.push(await this.store(streamId, version, event, metadata));
      }
      if (newEvents.length > 0) await this.saveStreamVersion(streamId, current, version, metadata.recordedAt);
      versions[streamId] = version;
    }
    this.stored.push(...stored);
    return { events: stored, versions, duplicate: total > 0 && duplicates === total };
  }

  /**
   * The transaction's state of the log, on its first need: the head when it started (read with
   * its BEGIN on PostgreSQL, else now: no job of the transaction has appended before this), which
   * also tells the cache whether someone else wrote since it last knew.
   */
  private async batch(): Promise<BatchState> {
    const scope = transactionScope(this.manager);
    let batch = scope?.get<BatchState>(BATCH);
    if (batch === undefined) {
      const head = scope?.get<number>(LOG_HEAD_AT_BEGIN) ?? Number((await HEAD.one<{ head: number | string | null }>(this.manager, {}))?.head ?? 0);
      batch = { start: head, head, appended: new Set() };
      scope?.set(BATCH, batch);
    }
    this.cache.begin(batch.start);
    return batch;
  }

  private async store(streamId: string, version: number, event: NewEvent, metadata: EventMetadata): Promise<StoredEvent> {
    const batch = await this.batch();
    const storedEvent: StoredEvent = {
      position: batch.head + 1, id: event.id, streamId, version, type: event.type, schemaVersion: CURRENT_SCHEMA_VERSION,
      data: event.data, metadata, recordedAt: metadata.recordedAt,
    };
    for (const guard of this.rules.guards) {
      if (guard.eventTypes.has(event.type)) await guard.check(storedEvent, this.manager);
    }
    await INSERT_EVENT.write(this.manager, {
      position: storedEvent.position, eventId: event.id, streamId, streamVersion: version, type: event.type, schemaVersion: CURRENT_SCHEMA_VERSION,
      data: JSON.stringify(event.data), metadata: JSON.stringify(metadata), recordedAt: metadata.recordedAt,
    });
    const appended = batch.appended.has(streamId) ? batch.appended : new Set([...batch.appended, streamId]);
    transactionScope(this.manager)?.set<BatchState>(BATCH, { start: batch.start, head: storedEvent.position, appended });
    this.readWhole.get(streamId)?.push(storedEvent);
    await project(storedEvent, this.rules.projections, this.manager);
    return storedEvent;
  }

  /**
   * True when every id is stored in this stream with the same type; throws on a partial or
   * foreign match. An id from newEventId appended for the first time is in no log: not looked up.
   */
  private async alreadyStored(streamId: string, newEvents: readonly NewEvent[]): Promise<boolean> {
    let found = 0;
    for (const event of newEvents) {
      if (firstAppendOfMinted(event.id)) continue;
      const row = await EVENT_BY_ID.one<{ streamId: string; type: string }>(this.manager, { eventId: event.id });
      if (row === undefined) continue;
      if (row.streamId !== streamId || row.type !== event.type) throw new DuplicateEventError(event.id);
      found += 1;
    }
    if (found > 0 && found < newEvents.length) throw new DuplicateEventError(newEvents[0].id);
    return found === newEvents.length;
  }

  private async saveStreamVersion(streamId: string, previous: number, version: number, at: string): Promise<void> {
    if (previous === 0) await INSERT_STREAM.write(this.manager, { streamId, streamType: streamType(streamId), version, createdAt: at, updatedAt: at });
    else await UPDATE_STREAM.write(this.manager, { streamId, version, updatedAt: at });
    this.versions.set(streamId, version);
  }
}

const checkVersion = (streamId: string, expected: ExpectedVersion, actual: number): void => {
  if (expected === 'any') return;
  if ((expected === 'no_stream' && actual !== 0) || (typeof expected === 'number' && expected !== actual)) {
    throw new ConcurrencyError(streamId, expected, actual);
  }
};

const project = async (event: StoredEvent, projections: readonly InlineProjection[], manager: EntityManager): Promise<void> => {
  for (const projection of projections) {
    if (projection.eventTypes.has(event.type)) await projection.apply(event, manager);
  }
};

export type EventStoreOptions = Readonly<{
  /** Read models kept inline: updated in the transaction of the append that causes them. */
  projections?: readonly InlineProjection[];
  /** Rules checked before an event is stored (see AppendGuard). */
  guards?: readonly AppendGuard[];
}>;

/**
 * The event store over TypeORM: the `events` and `streams` tables are its own. Every write goes
 * through the database's single writer (see Database), so transactions follow one another
 * and an expected-version check cannot be raced from within this process; global positions are
 * assigned in commit order.
 */
export class TypeOrmEventStore extends LogReads implements ManagedEventStore {
  private readonly committed = new Subject<StoredEvent>();
  readonly committed$ = this.committed.asObservable();
  private readonly rules: Rules;
  private readonly cache = new StreamCache();

  constructor(
    private readonly database: Database,
    options: EventStoreOptions = {},
  ) {
    super(database.reads);
    this.rules = { projections: [...(options.projections ?? [])], guards: [...(options.guards ?? [])] };
  }

  get projections(): readonly InlineProjection[] {
    return this.rules.projections;
  }

  async transact<T>(work: (tx: ManagedTransaction) => Promise<T>, options: TransactOptions = {}): Promise<T> {
    const stored: StoredEvent[] = [];
    const jobs: Transaction[] = [];
    const result = await this.database.write(
      (manager) => {
        // Run again (see TransactOptions): what the rolled-back run stored is not to be published.
        stored.length = 0;
        jobs.length = 0;
        const tx = new Transaction(manager, this.rules, this.cache, stored);
        jobs.push(tx);
        return work(tx);
      },
      { rerunnable: options.rerunnable === true },
    );
    for (const tx of jobs) this.cache.committed(stored, tx.readWhole);
    for (const event of stored) this.committed.next(event);
    return result;
  }

  append(streamId: string, newEvents: readonly NewEvent[], expectedVersion: ExpectedVersion, metadata: EventMetadata): Promise<AppendResult> {
    return this.transact((tx) => tx.append(streamId, newEvents, expectedVersion, metadata), { rerunnable: true });
  }

  appendMany(appends: readonly StreamAppend[], metadata: EventMetadata): Promise<AppendResult> {
    return this.transact((tx) => tx.appendMany(appends, metadata), { rerunnable: true });
  }

  /** Empties the projections' tables and replays every event through them, in batches, in one transaction. */
  rebuild(projections: readonly InlineProjection[] = this.rules.projections, batchSize = 2_000): Promise<number> {
    return this.database.write(async (manager) => {
      await emptyTables(manager, projections.flatMap((projection) => projection.tables));
      // A projection that can replay in memory does (see InlineProjection.replay); the rest run their statements.
      const replays = projections.map((projection) => projection.replay?.());
      // What each event type goes to, in the projections' order (looked up once per event, not per projection).
      const handlers = new Map<string, ((event: StoredEvent) => Promise<void>)[]>();
      projections.forEach((projection, index) => {
        const replay = replays[index];
        const apply = replay === undefined ? (event: StoredEvent) => projection.apply(event, manager) : (event: StoredEvent) => replay.apply(event);
        for (const type of projection.eventTypes) handlers.set(type, [...(handlers.get(type) ?? []), apply]);
      });
      const head = Number((await HEAD.one<{ head: number | null }>(manager, {}))?.head ?? 0);
      const read = async (after: number): Promise<ReplayedEvent[]> =>
        (await POSITIONS.all<EventRow>(manager, { after, upTo: Math.min(after + batchSize, head) })).map((row) => new ReplayedEvent(row));
      let count = 0;
      let after = 0;
      let batch = head > 0 ? await read(0) : [];
      while (after < head) {
        after = Math.min(after + batchSize, head);
        // The next batch is asked for before this one is applied, so the database reads it meanwhile (the replay
        // writes no table the read reads). The catch only keeps a failure from counting as unhandled until it is awaited.
        const next = after < head ? read(after) : Promise.resolve([]);
        next.catch(() => undefined);
        for (const event of batch) {
          for (const apply of handlers.get(event.type) ?? []) await apply(event);
        }
        count += batch.length;
        batch = await next;
      }
      for (const replay of replays) await replay?.write(manager);
      return count;
    });
  }
}
