import { Subject } from 'rxjs';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import type { Database } from '../persistence/database';
import { EventRecord, StreamRecord } from './event.entities';
import type { AppendGuard, InlineProjection } from './projection';
import {
  ConcurrencyError, DuplicateEventError, type AppendResult, type EventLog, type EventMetadata, type EventStore, type ExpectedVersion,
  type NewEvent, type ReadAllOptions, type StoredEvent, type StoreTransaction, type StreamAppend,
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

/** The reads of the log, on whichever connection they are given. */
class LogReads implements EventLog {
  constructor(protected readonly manager: EntityManager) {}

  async readStream(streamId: string, options: { upTo?: number } = {}): Promise<StoredEvent[]> {
    const query = events(this.manager).where('e.streamId = :streamId', { streamId });
    if (options.upTo !== undefined) query.andWhere('e.position <= :upTo', { upTo: options.upTo });
    return (await query.orderBy('e.streamVersion').getRawMany<EventRow>()).map(toStoredEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const query = events(this.manager).where('e.position > :after', { after: options.after ?? 0 });
    if (options.upTo !== undefined) query.andWhere('e.position <= :upTo', { upTo: options.upTo });
    if (options.streamId !== undefined) query.andWhere('e.streamId = :streamId', { streamId: options.streamId });
    if (options.streamPrefix !== undefined) {
      query.andWhere('e.streamId >= :from AND e.streamId < :to', { from: options.streamPrefix, to: `${options.streamPrefix}\uffff` });
    }
    if (options.types !== undefined && options.types.length > 0) query.andWhere('e.type IN (:...types)', { types: options.types });
    query.orderBy('e.position');
    if (options.limit !== undefined) query.limit(options.limit);
    return (await query.getRawMany<EventRow>()).map(toStoredEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    const row = await this.manager
      .createQueryBuilder(StreamRecord, 's')
      .select('s.version', 'version')
      .where('s.streamId = :streamId', { streamId })
      .getRawOne<{ version: number }>();
    return row?.version ?? 0;
  }

  async headPosition(): Promise<number> {
    const row = await this.manager.createQueryBuilder(EventRecord, 'e').select('MAX(e.position)', 'head').getRawOne<{ head: number | null }>();
    return row?.head ?? 0;
  }

  async positionAt(time: string): Promise<number> {
    const row = await this.manager
      .createQueryBuilder(EventRecord, 'e')
      .select('MAX(e.position)', 'position')
      .where('e.recordedAt <= :time', { time })
      .getRawOne<{ position: number | null }>();
    return row?.position ?? 0;
  }
}

type Rules = Readonly<{ projections: readonly InlineProjection[]; guards: readonly AppendGuard[] }>;

/** One write transaction: appends go through the guards, into the log, and through the projections. */
class Transaction extends LogReads implements StoreTransaction {
  constructor(
    override readonly manager: EntityManager,
    private readonly rules: Rules,
    /** What this transaction stored, to be published once it commits. */
    readonly stored: StoredEvent[],
  ) {
    super(manager);
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

  private async store(streamId: string, version: number, event: NewEvent, metadata: EventMetadata): Promise<StoredEvent> {
    const pending: StoredEvent = {
      position: 0, id: event.id, streamId, version, type: event.type, schemaVersion: CURRENT_SCHEMA_VERSION,
      data: event.data, metadata, recordedAt: metadata.recordedAt,
    };
    for (const guard of this.rules.guards) {
      if (guard.eventTypes.has(event.type)) await guard.check(pending, this.manager);
    }
    const inserted = await this.manager
      .createQueryBuilder()
      .insert()
      .into(EventRecord)
      .values({
        eventId: event.id, streamId, streamVersion: version, type: event.type, schemaVersion: CURRENT_SCHEMA_VERSION,
        data: JSON.stringify(event.data), metadata: JSON.stringify(metadata), recordedAt: metadata.recordedAt,
      })
      .updateEntity(false)
      .execute();
    const storedEvent: StoredEvent = { ...pending, position: Number(inserted.raw) };
    await project(storedEvent, this.rules.projections, this.manager);
    return storedEvent;
  }

  /** True when every id is stored in this stream with the same type; throws on a partial or foreign match. */
  private async alreadyStored(streamId: string, newEvents: readonly NewEvent[]): Promise<boolean> {
    const rows = await this.manager
      .createQueryBuilder(EventRecord, 'e')
      .select('e.eventId', 'eventId')
      .addSelect('e.streamId', 'streamId')
      .addSelect('e.type', 'type')
      .where('e.eventId IN (:...ids)', { ids: newEvents.map((event) => event.id) })
      .getRawMany<{ eventId: string; streamId: string; type: string }>();
    const found = new Map(rows.map((row) => [row.eventId, row]));
    for (const event of newEvents) {
      const row = found.get(event.id);
      if (row !== undefined && (row.streamId !== streamId || row.type !== event.type)) throw new DuplicateEventError(event.id);
    }
    if (rows.length > 0 && rows.length < newEvents.length) throw new DuplicateEventError(rows[0].eventId);
    return rows.length === newEvents.length;
  }

  private async saveStreamVersion(streamId: string, previous: number, version: number, at: string): Promise<void> {
    if (previous === 0) {
      await this.manager
        .createQueryBuilder()
        .insert()
        .into(StreamRecord)
        .values({ streamId, streamType: streamType(streamId), version, createdAt: at, updatedAt: at })
        .updateEntity(false)
        .execute();
    } else {
      await this.manager.createQueryBuilder().update(StreamRecord).set({ version, updatedAt: at }).where('streamId = :streamId', { streamId }).updateEntity(false).execute();
    }
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
export class TypeOrmEventStore extends LogReads implements EventStore {
  private readonly committed = new Subject<StoredEvent>();
  readonly committed$ = this.committed.asObservable();
  private readonly rules: Rules;

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

  async transact<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const stored: StoredEvent[] = [];
    const result = await this.database.write((manager) => work(new Transaction(manager, this.rules, stored)));
    for (const event of stored) this.committed.next(event);
    return result;
  }

  append(streamId: string, newEvents: readonly NewEvent[], expectedVersion: ExpectedVersion, metadata: EventMetadata): Promise<AppendResult> {
    return this.transact((tx) => tx.append(streamId, newEvents, expectedVersion, metadata));
  }

  appendMany(appends: readonly StreamAppend[], metadata: EventMetadata): Promise<AppendResult> {
    return this.transact((tx) => tx.appendMany(appends, metadata));
  }

  /** Empties the projections' tables and replays every event through them, in batches, in one transaction. */
  rebuild(projections: readonly InlineProjection[] = this.rules.projections, batchSize = 5_000): Promise<number> {
    return this.database.write(async (manager) => {
      for (const projection of projections) {
        for (const table of projection.tables) await manager.createQueryBuilder().delete().from(table).execute();
      }
      const reads = new LogReads(manager);
      let after = 0;
      let count = 0;
      for (;;) {
        const batch = await reads.readAll({ after, limit: batchSize });
        if (batch.length === 0) return count;
        for (const event of batch) await project(event, projections, manager);
        after = batch[batch.length - 1].position;
        count += batch.length;
      }
    });
  }
}
