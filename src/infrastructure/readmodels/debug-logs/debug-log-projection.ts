import { Subject, type Observable } from 'rxjs';
import type { EntityManager } from 'typeorm';
import { compiledQuery } from '../../persistence/compiled-query';
import type { Database } from '../../persistence/database';
import type { TrafficRecord } from '../../telemetry/traffic-types';
import { DebugLogRecord, ProjectionCheckpointRow, TrafficJournalRow } from './debug-log.entities';
import type { DebugLogRow } from './debug-log-rows';
import type { JournalEntry } from './traffic-journal';
import { errorMessage } from '../../../domain/shared';

/** The name of this projection's row in `projection_checkpoints`. */
export const DEBUG_LOGS_CHECKPOINT = 'debug_logs';

export const rowOf = (id: number, record: TrafficRecord): DebugLogRow => ({
  id,
  at: record.at,
  profile_id: record.profileId,
  profile_slug: record.profileSlug,
  session_id: record.sessionId,
  client_name: record.clientName,
  server_id: record.serverId,
  server_name: record.serverName,
  kind: record.kind,
  method: record.method,
  target: record.target,
  status: record.status,
  error_code: record.errorCode,
  error_message: record.errorMessage,
  duration_ms: record.durationMs,
  request_bytes: record.requestBytes,
  response_bytes: record.responseBytes,
  params: record.params,
  params_truncated: record.paramsTruncated ? 1 : 0,
  result: record.result,
  result_truncated: record.resultTruncated ? 1 : 0,
});

const COLUMNS = Object.keys(rowOf(0, {} as TrafficRecord)).filter((column) => column !== 'id');

/** One row, upserted (a replay writes the same row again): compiled once, run for every record. */
const UPSERT_ROW = compiledQuery<DebugLogRow>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(DebugLogRecord)
    .values(Object.fromEntries(['id', ...COLUMNS].map((column) => [column, p[column as keyof DebugLogRow]])))
    .orUpdate(COLUMNS, ['id'])
    .updateEntity(false),
);

const parseRow = ({ seq, record, params, result }: TrafficJournalRow): DebugLogRow | null => {
  try {
    return rowOf(seq, { ...(JSON.parse(record) as Omit<TrafficRecord, 'params' | 'result'>), params, result });
  } catch {
    return null;
  }
};

const readCheckpoint = async (manager: EntityManager): Promise<number> =>
  (await manager.getRepository(ProjectionCheckpointRow).findOneBy({ name: DEBUG_LOGS_CHECKPOINT }))?.position ?? 0;

const saveCheckpoint = async (manager: EntityManager, position: number): Promise<void> => {
  await manager
    .createQueryBuilder()
    .insert()
    .into(ProjectionCheckpointRow)
    .values({ name: DEBUG_LOGS_CHECKPOINT, position, updatedAt: new Date().toISOString() })
    .orUpdate(['position', 'updated_at'], ['name'])
    .updateEntity(false)
    .execute();
};

/**
 * Projects the traffic journal into the `debug_logs` read model. Each batch (rows and the
 * checkpoint) is one transaction, so after a crash the projection resumes exactly where it
 * stopped; rows are upserts keyed on the journal's seq, so replaying is harmless. Projected
 * rows are published after the commit, for the live tail. Its position is kept in memory once
 * read. Every process that journals (instances on one PostgreSQL database, `gatehouse stdio`
 * beside `serve`) also projects, its own records from memory and the others' from the journal
 * (the journal's seqs commit in order, see the TrafficLogs migration): the same rows upserted
 * twice are harmless, and the shared checkpoint row is only where a restart resumes from.
 */
export class DebugLogProjection {
  /** The tables a rebuild writes (from the journal): what `gatehouse rebuild` and migrate-store compare. */
  static readonly tables = [DebugLogRecord] as const;

  /**
   * A write into this module's checkpoint table, for a caller that rolls it back (readiness:
   * whether the database takes writes at all).
   */
  static async probeWrite(manager: EntityManager): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(ProjectionCheckpointRow)
      .values({ name: '__readyz', position: 0, updatedAt: new Date().toISOString() })
      .orUpdate(['updated_at'], ['name'])
      .updateEntity(false)
      .execute();
  }

  private readonly projected = new Subject<DebugLogRow>();
  readonly rows$: Observable<DebugLogRow> = this.projected.asObservable();
  private scheduled: NodeJS.Immediate | null = null;
  /** What this process's journal just appended: projected without reading it back. */
  private recent: DebugLogRow[] = [];
  private running: Promise<number> | null = null;
  private checkpoint: number;
  /** Why the last catch-up failed, until one succeeds. */
  lastError: string | null = null;

  constructor(
    private readonly database: Database,
    /** The checkpoint as stored when this process started (see loadDebugLogCheckpoint). */
    checkpoint: number,
    private readonly options: { batchSize?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.checkpoint = checkpoint;
  }

  static async open(database: Database, options: { batchSize?: number; onError?: (error: unknown) => void } = {}): Promise<DebugLogProjection> {
    return new DebugLogProjection(database, await readCheckpoint(database.reads), options);
  }

  /** The journal seq this projection has applied up to. */
  position(): number {
    return this.checkpoint;
  }

  /** Catches up on the next turn of the event loop; calls in between coalesce. */
  schedule(appended: readonly JournalEntry[] = []): void {
    for (const { seq, record } of appended) this.recent.push(rowOf(seq, record));
    this.scheduled ??= setImmediate(() => {
      this.scheduled = null;
      void this.catchUp();
    });
  }

  /** Applies every journal record after the checkpoint; resolves with how many. Never rejects. */
  catchUp(): Promise<number> {
    // One catch-up at a time; a call during one runs another after it, for what came meanwhile.
    const previous = this.running ?? Promise.resolve(0);
    const next = previous.then(() => this.applyAll());
    this.running = next;
    void next.finally(() => {
      if (this.running === next) this.running = null;
    });
    return next;
  }

  /** Drops the read model and projects the journal again from the start. */
  async rebuild(): Promise<number> {
    await this.database.write(
      async (manager) => {
        await manager.createQueryBuilder().delete().from(DebugLogRecord).execute();
        await saveCheckpoint(manager, 0);
      },
      { durability: 'relaxed' },
    );
    this.checkpoint = 0;
    this.recent = [];
    return this.catchUp();
  }

  close(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    this.recent = [];
    this.projected.complete();
  }

  private async applyAll(): Promise<number> {
    let applied = 0;
    try {
      for (let rows = await this.applyBatch(); rows !== null; rows = await this.applyBatch()) {
        applied += rows.length;
        for (const row of rows) this.projected.next(row);
      }
      this.lastError = null;
    } catch (error) {
      this.lastError = errorMessage(error);
      this.options.onError?.(error);
    }
    return applied;
  }

  /** One batch in one transaction; null when the checkpoint is at the journal's head. */
  private async applyBatch(): Promise<DebugLogRow[] | null> {
    const after = this.checkpoint;
    const batch = this.fromMemory(after) ?? (await this.fromJournal(after));
    if (batch.last === after) return null;
    await this.database.write(
      async (manager) => {
        for (const row of batch.rows) await UPSERT_ROW.run(manager, row);
        await saveCheckpoint(manager, batch.last);
      },
      { durability: 'relaxed' },
    );
    this.checkpoint = batch.last;
    return batch.rows;
  }

  /** The next rows from what the journal handed over, if they follow the checkpoint without a gap. */
  private fromMemory(after: number): { rows: DebugLogRow[]; last: number } | null {
    const limit = this.options.batchSize ?? 1_000;
    while (this.recent.length > 0 && this.recent[0].id <= after) this.recent.shift();
    const rows = this.recent.slice(0, limit);
    if (rows.length === 0 || !rows.every((row, index) => row.id === after + 1 + index)) {
      this.recent = [];
      return null;
    }
    this.recent = this.recent.slice(rows.length);
    return { rows, last: rows[rows.length - 1].id };
  }

  private async fromJournal(after: number): Promise<{ rows: DebugLogRow[]; last: number }> {
    const journal = await this.database.reads
      .getRepository(TrafficJournalRow)
      .createQueryBuilder('j')
      .where('j.seq > :after', { after })
      .orderBy('j.seq')
      .limit(this.options.batchSize ?? 1_000)
      .getMany();
    const rows: DebugLogRow[] = [];
    for (const entry of journal) {
      const row = parseRow(entry);
      // A record that cannot be read is skipped, not retried forever.
      if (row === null) this.options.onError?.(new Error(`traffic journal record ${entry.seq} is not readable; skipped`));
      else rows.push(row);
    }
    return { rows, last: journal.length === 0 ? after : journal[journal.length - 1].seq };
  }
}
