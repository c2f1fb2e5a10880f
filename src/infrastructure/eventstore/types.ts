import type { Observable } from 'rxjs';

/** Who did it, and why: the audit trail carried by every event. */
export type EventMetadata = Readonly<{
  /** `admin`, `apikey:<id>`, `cli:<user>`, `system:<component>`. */
  actor: string;
  correlationId: string;
  causationId: string | null;
  recordedAt: string;
}>;

export type NewEvent = Readonly<{ id: string; type: string; data: unknown }>;

export type StoredEvent<Data = unknown> = Readonly<{
  position: number;
  id: string;
  streamId: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  recordedAt: string;
}>;

/** `no_stream`: the stream must not exist; `any`: no check; a number: the version read. */
export type ExpectedVersion = number | 'no_stream' | 'any';

export type StreamAppend = Readonly<{
  streamId: string;
  events: readonly NewEvent[];
  expectedVersion: ExpectedVersion;
}>;

export type AppendResult = Readonly<{
  /** Stored events in commit order; empty when nothing was appended. */
  events: readonly StoredEvent[];
  /** Version of each stream after the append. */
  versions: Readonly<Record<string, number>>;
  /** True when every event id was already stored (an idempotent retry). */
  duplicate: boolean;
}>;

export type ReadAllOptions = Readonly<{
  after?: number;
  upTo?: number;
  limit?: number;
  streamId?: string;
  streamPrefix?: string;
  types?: readonly string[];
  /** By position descending, so that `limit` takes the newest events (GET /api/events?last=). */
  newestFirst?: boolean;
}>;

/** Reads of the log, always ordered by stream version or global position. */
export interface EventLog {
  readStream(streamId: string, options?: { upTo?: number }): Promise<StoredEvent[]>;
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  streamVersion(streamId: string): Promise<number>;
  headPosition(): Promise<number>;
  /** The last global position recorded at or before `time` (ISO 8601); 0 when the log had nothing yet. */
  positionAt(time: string): Promise<number>;
}

/**
 * One write transaction of the store. Its reads see its own appends. Appends to several streams
 * in one transaction are atomic (deleting a server detaches it from every profile with it). An
 * implementation may give its transactions more (the TypeORM store's carry the connection the
 * read models are read through: `ManagedTransaction`), as the `Tx` of `EventStore<Tx>`.
 */
export interface StoreTransaction extends EventLog {
  append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion, metadata: EventMetadata): Promise<AppendResult>;
  appendMany(appends: readonly StreamAppend[], metadata: EventMetadata): Promise<AppendResult>;
}

export type TransactOptions = Readonly<{ rerunnable?: boolean }>;

/**
 * The one write path of the configuration. Every write runs in `transact` (or its shorthands
 * `append` and `appendMany`): one writer, transactions one after the other, so a command that
 * loads its stream, decides and appends in one transaction cannot be raced within this
 * process. Committed events are published on `committed$` after their transaction commits,
 * in position order, before the transaction's promise settles.
 */
export interface EventStore<Tx extends StoreTransaction = StoreTransaction> extends EventLog {
  /**
   * `rerunnable`: the work decides from what the transaction reads alone and changes nothing
   * outside it but what it returns, so it may run again after it was rolled back (see
   * Database's WriteOptions.rerunnable: a group commit then confirms such work in bulk).
   */
  transact<T>(work: (tx: Tx) => Promise<T>, options?: TransactOptions): Promise<T>;
  append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion, metadata: EventMetadata): Promise<AppendResult>;
  appendMany(appends: readonly StreamAppend[], metadata: EventMetadata): Promise<AppendResult>;
  readonly committed$: Observable<StoredEvent>;
}

export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  readonly code = 'CONCURRENCY_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`Stream ${streamId} is at version ${actual}, expected ${String(expected)}`);
  }
}

/** An event id reused for a different event: a client bug, not a retry. */
export class DuplicateEventError extends Error {
  override readonly name = 'DuplicateEventError';
  readonly code = 'DUPLICATE_EVENT';
  constructor(readonly eventId: string) {
    super(`Event id ${eventId} is already stored with other content`);
  }
}

/** Stream versions start at 1; a stream that does not exist is at version 0. */
export const NO_STREAM_VERSION = 0;
