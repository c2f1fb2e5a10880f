import type { Database } from '../../persistence/database';
import { serializePayload, truncateUtf8 } from '../../telemetry/redaction';
import { compiledQuery } from '../../persistence/compiled-query';
import { TrafficJournalRow } from './debug-log.entities';

/** One record (a batch is many of them in one transaction): compiled once, its seq read back. */
const APPEND = compiledQuery<Omit<TrafficJournalRow, 'seq'>>((manager, p) =>
  manager.createQueryBuilder().insert().into(TrafficJournalRow).values({ recordedAt: p.recordedAt, record: p.record, params: p.params, result: p.result }).updateEntity(false),
);
import type { TrafficExchange, TrafficRecord, TrafficSink } from '../../telemetry/traffic-types';

export type DropReason = 'queue_full' | 'write_failed' | 'closed';

/** A record as committed to the journal, with the seq it got. */
export type JournalEntry = Readonly<{ seq: number; record: TrafficRecord }>;

export type TrafficJournalOptions = Readonly<{
  database: Database;
  /** The last seq the journal had assigned when this process started (see head()). */
  head?: number;
  /** The current `logPayloadMaxBytes` setting: params and results are cut to this size. */
  payloadMaxBytes: () => number;
  /** Records waiting beyond this are dropped (and counted), never waited for. */
  maxQueue?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  onWritten?: (count: number) => void;
  onDropped?: (reason: DropReason, count: number) => void;
  onError?: (error: unknown) => void;
  /** After each committed batch, with its records (the projection follows from here). */
  onAppended?: (entries: readonly JournalEntry[]) => void;
}>;

const ERROR_MESSAGE_MAX_BYTES = 2_048;

/**
 * Bytes of a JSON-RPC message whose payload (`params`, `result` or `error`) serializes to
 * `payloadBytes`: only the small envelope is serialized again, not the payload.
 */
const messageBytes = (message: unknown, payloadBytes: number): number => {
  if (typeof message !== 'object' || message === null) return 0;
  const envelope: Record<string, unknown> = { ...(message as Record<string, unknown>) };
  const key = ['params', 'result', 'error'].find((name) => envelope[name] !== undefined);
  if (key === undefined) return Buffer.byteLength(JSON.stringify(envelope), 'utf8');
  delete envelope[key];
  // `,"<key>":` joins the payload to the rest (an envelope always has `jsonrpc`).
  return Buffer.byteLength(JSON.stringify(envelope), 'utf8') + payloadBytes + key.length + 4;
};

/** Serializes one exchange for the journal: sizes measured, secrets replaced, payloads cut. */
export const toTrafficRecord = (exchange: TrafficExchange, maxBytes: number): TrafficRecord => {
  // What the request hid under sensitive keys (a password argument) is hidden in its answer too,
  // where a tool may echo it as plain text.
  const hidden = new Set<string>();
  const params = serializePayload(exchange.redactor, exchange.params, maxBytes, hidden);
  const redactor = exchange.redactor.extend(hidden);
  const result = serializePayload(redactor, exchange.result, maxBytes);
  return {
    at: new Date(exchange.at).toISOString(),
    profileId: exchange.profileId,
    profileSlug: exchange.profileSlug,
    sessionId: exchange.sessionId,
    clientName: exchange.clientName === null ? null : redactor.redactText(exchange.clientName),
    serverId: exchange.server?.id ?? null,
    serverName: exchange.server?.name ?? null,
    kind: exchange.kind,
    method: exchange.method,
    target: exchange.target === null ? null : redactor.redactText(exchange.target),
    status: exchange.status,
    errorCode: exchange.errorCode,
    errorMessage: exchange.errorMessage === null ? null : truncateUtf8(redactor.redactText(exchange.errorMessage), ERROR_MESSAGE_MAX_BYTES).text,
    durationMs: Math.round(exchange.durationMs * 1000) / 1000,
    requestBytes: messageBytes(exchange.request, params.bytes),
    responseBytes: messageBytes(exchange.response, result.bytes),
    params: params.text,
    paramsTruncated: params.truncated,
    result: result.text,
    resultTruncated: result.truncated,
  };
};

/** The last seq the journal ever assigned, as far as its rows still tell (0 for none). */
export const journalHead = async (database: Database): Promise<number> => {
  const row = await database.reads.createQueryBuilder(TrafficJournalRow, 'j').select('MAX(j.seq)', 'head').getRawOne<{ head: number | null }>();
  return row?.head ?? 0;
};

/**
 * The append-only traffic journal. The request path only pushes onto a bounded in-memory
 * queue; a timer (or a full batch) writes the queue in batches, one transaction each, committed
 * without waiting for the disk (telemetry), so the proxy never waits for the disk and never for a
 * lock. When the queue is full the record is dropped and counted: telemetry gives way to
 * traffic, not the other way round. This process is the journal's only writer.
 */
export class TrafficJournal implements TrafficSink {
  private queue: TrafficExchange[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;
  private writing: Promise<unknown> = Promise.resolve();
  private lastSeq: number;
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;

  constructor(private readonly options: TrafficJournalOptions) {
    this.maxQueue = options.maxQueue ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.lastSeq = options.head ?? 0;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  record(exchange: TrafficExchange): void {
    if (this.closed) return this.options.onDropped?.('closed', 1);
    if (this.queue.length >= this.maxQueue) return this.options.onDropped?.('queue_full', 1);
    this.queue.push(exchange);
    if (this.queue.length >= this.batchSize) {
      this.immediate ??= setImmediate(() => this.tick());
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.tick(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes everything queued now, in batches; returns the number of records written. */
  async flush(): Promise<number> {
    this.cancelSchedule();
    let written = 0;
    while (this.queue.length > 0) written += await this.writeBatch(this.queue.splice(0, this.batchSize));
    await this.writing;
    return written;
  }

  /** The last sequence number assigned (deleted rows included), 0 for none. */
  head(): number {
    return this.lastSeq;
  }

  /** Writes what is queued and refuses further records. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /** One batch per turn of the event loop, so a long queue never holds the proxy up for long. */
  private tick(): void {
    this.cancelSchedule();
    void this.writeBatch(this.queue.splice(0, this.batchSize)).then(() => {
      if (this.queue.length > 0 && this.timer === null) this.immediate ??= setImmediate(() => this.tick());
    });
  }

  private writeBatch(batch: readonly TrafficExchange[]): Promise<number> {
    if (batch.length === 0) return Promise.resolve(0);
    const maxBytes = this.options.payloadMaxBytes();
    const write = (async (): Promise<number> => {
      try {
        const records = batch.map((exchange) => toTrafficRecord(exchange, maxBytes));
        const entries = await this.options.database.write(
          async (manager) => {
            const appended: JournalEntry[] = [];
            for (const record of records) {
              const { params, result, ...meta } = record;
              const { insertId } = await APPEND.run(manager, { recordedAt: meta.at, record: JSON.stringify(meta), params, result });
              appended.push({ seq: insertId, record });
            }
            return appended;
          },
          { durability: 'relaxed' },
        );
        this.lastSeq = Math.max(this.lastSeq, entries[entries.length - 1].seq);
        this.options.onWritten?.(entries.length);
        this.options.onAppended?.(entries);
        return entries.length;
      } catch (error) {
        this.options.onDropped?.('write_failed', batch.length);
        this.options.onError?.(error);
        return 0;
      }
    })();
    this.writing = Promise.all([this.writing, write]);
    return write;
  }

  private cancelSchedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }
}
