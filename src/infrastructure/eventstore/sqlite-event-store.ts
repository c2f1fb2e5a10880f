import { Subject } from 'rxjs';
import type { InlineProjection } from './projection';
import { Sql, type SqlValue } from './sql';
import {
  ConcurrencyError,
  DuplicateEventError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type StoredEvent,
  type StreamAppend,
} from './types';
import { CURRENT_SCHEMA_VERSION, upcast } from './upcasting';

type EventRow = {
  position: number;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: string;
};

const SELECT_EVENT = `SELECT position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at FROM events`;

export const toStoredEvent = (row: EventRow): StoredEvent => ({
  position: row.position,
  id: row.event_id,
  streamId: row.stream_id,
  version: row.stream_version,
  type: row.type,
  schemaVersion: row.schema_version,
  data: upcast(row.type, row.schema_version, JSON.parse(row.data)),
  metadata: JSON.parse(row.metadata) as EventMetadata,
  recordedAt: row.recorded_at,
});

const streamType = (streamId: string): string => streamId.split('-')[0];

/**
 * The SQLite event store. better-sqlite3 is synchronous, so each append (version checks,
 * inserts, inline projections) runs as one synchronous transaction: no other JavaScript can
 * run in between, which makes this the single serialized writer. The async signatures keep
 * the door open for a PostgreSQL adapter.
 */
export class SqliteEventStore implements EventStore {
  private readonly committed = new Subject<StoredEvent>();
  readonly committed$ = this.committed.asObservable();
  private readonly projections: InlineProjection[];

  constructor(
    readonly sql: Sql,
    projections: readonly InlineProjection[] = [],
  ) {
    this.projections = [...projections];
  }

  async append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion, metadata: EventMetadata): Promise<AppendResult> {
    return this.appendMany([{ streamId, events, expectedVersion }], metadata);
  }

  async appendMany(appends: readonly StreamAppend[], metadata: EventMetadata): Promise<AppendResult> {
    const result = this.sql.transaction(() => this.appendInTransaction(appends, metadata));
    for (const event of result.events) this.committed.next(event);
    return result;
  }

  async readStream(streamId: string, options: { upTo?: number } = {}): Promise<StoredEvent[]> {
    return this.readStreamSync(streamId, options.upTo);
  }

  readStreamSync(streamId: string, upTo?: number): StoredEvent[] {
    const rows =
      upTo === undefined
        ? this.sql.all<EventRow>(`${SELECT_EVENT} WHERE stream_id = ? ORDER BY stream_version`, streamId)
        : this.sql.all<EventRow>(`${SELECT_EVENT} WHERE stream_id = ? AND position <= ? ORDER BY stream_version`, streamId, upTo);
    return rows.map(toStoredEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const where: string[] = ['position > ?'];
    const params: SqlValue[] = [options.after ?? 0];
    if (options.upTo !== undefined) {
      where.push('position <= ?');
      params.push(options.upTo);
    }
    if (options.streamId !== undefined) {
      where.push('stream_id = ?');
      params.push(options.streamId);
    }
    if (options.streamPrefix !== undefined) {
      where.push(`stream_id >= ? AND stream_id < ?`);
      params.push(options.streamPrefix, `${options.streamPrefix}\uffff`);
    }
    if (options.types !== undefined && options.types.length > 0) {
      where.push(`type IN (${options.types.map(() => '?').join(', ')})`);
      params.push(...options.types);
    }
    const limit = options.limit ?? -1;
    const rows = this.sql.db
      .prepare(`${SELECT_EVENT} WHERE ${where.join(' AND ')} ORDER BY position LIMIT ?`)
      .all(...params, limit) as EventRow[];
    return rows.map(toStoredEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    return this.currentVersion(streamId);
  }

  async headPosition(): Promise<number> {
    return this.sql.get<{ head: number | null }>('SELECT MAX(position) AS head FROM events')?.head ?? 0;
  }

  /** Replays every event through the given projections, in batches, in one transaction. */
  rebuild(projections: readonly InlineProjection[] = this.projections, batchSize = 5_000): number {
    return this.sql.transaction(() => {
      for (const projection of projections) {
        for (const table of projection.tables) this.sql.run(`DELETE FROM ${table}`);
      }
      let after = 0;
      let count = 0;
      for (;;) {
        const rows = this.sql.all<EventRow>(`${SELECT_EVENT} WHERE position > ? ORDER BY position LIMIT ?`, after, batchSize);
        if (rows.length === 0) return count;
        for (const row of rows) this.project(toStoredEvent(row), projections);
        after = rows[rows.length - 1].position;
        count += rows.length;
      }
    });
  }

  private appendInTransaction(appends: readonly StreamAppend[], metadata: EventMetadata): AppendResult {
    const stored: StoredEvent[] = [];
    const versions: Record<string, number> = {};
    let duplicates = 0;
    let total = 0;
    for (const { streamId, events, expectedVersion } of appends) {
      total += events.length;
      const current = this.currentVersion(streamId);
      if (events.length > 0 && this.alreadyStored(streamId, events)) {
        duplicates += events.length;
        versions[streamId] = current;
        continue;
      }
      this.checkVersion(streamId, expectedVersion, current);
      let version = current;
      for (const event of events) {
        version += 1;
        const position = this.insertEvent(streamId, version, event, metadata);
        const storedEvent: StoredEvent = {
          position, id: event.id, streamId, version, type: event.type, schemaVersion: CURRENT_SCHEMA_VERSION,
          data: event.data, metadata, recordedAt: metadata.recordedAt,
        };
        this.project(storedEvent, this.projections);
        stored.push(storedEvent);
      }
      if (events.length > 0) this.saveStreamVersion(streamId, current, version, metadata.recordedAt);
      versions[streamId] = version;
    }
    return { events: stored, versions, duplicate: total > 0 && duplicates === total };
  }

  /** True when every id is stored in this stream with the same type; throws on a partial or foreign match. */
  private alreadyStored(streamId: string, events: readonly NewEvent[]): boolean {
    let found = 0;
    for (const event of events) {
      const row = this.sql.get<{ stream_id: string; type: string }>('SELECT stream_id, type FROM events WHERE event_id = ?', event.id);
      if (row === undefined) continue;
      if (row.stream_id !== streamId || row.type !== event.type) throw new DuplicateEventError(event.id);
      found += 1;
    }
    if (found > 0 && found < events.length) throw new DuplicateEventError(events.find(Boolean)?.id ?? '');
    return found === events.length;
  }

  private checkVersion(streamId: string, expected: ExpectedVersion, actual: number): void {
    if (expected === 'any') return;
    if ((expected === 'no_stream' && actual !== 0) || (typeof expected === 'number' && expected !== actual)) {
      throw new ConcurrencyError(streamId, expected, actual);
    }
  }

  private currentVersion(streamId: string): number {
    return this.sql.get<{ version: number }>('SELECT version FROM streams WHERE stream_id = ?', streamId)?.version ?? 0;
  }

  private insertEvent(streamId: string, version: number, event: NewEvent, metadata: EventMetadata): number {
    const result = this.sql.run(
      `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      event.id, streamId, version, event.type, CURRENT_SCHEMA_VERSION,
      JSON.stringify(event.data), JSON.stringify(metadata), metadata.recordedAt,
    );
    return Number(result.lastInsertRowid);
  }

  private saveStreamVersion(streamId: string, previous: number, version: number, at: string): void {
    if (previous === 0) {
      this.sql.run('INSERT INTO streams (stream_id, stream_type, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', streamId, streamType(streamId), version, at, at);
    } else {
      this.sql.run('UPDATE streams SET version = ?, updated_at = ? WHERE stream_id = ?', version, at, streamId);
    }
  }

  private project(event: StoredEvent, projections: readonly InlineProjection[]): void {
    for (const projection of projections) {
      if (projection.eventTypes.has(event.type)) projection.apply(event, this.sql);
    }
  }
}
