import { Subject, type Observable } from 'rxjs';
import type { Sql } from '../eventstore';
import type { DebugLogRow } from './debug-log-rows';
import { relaxedCommit } from './relaxed-commit';
import type { JournalEntry } from './traffic-journal';
import type { TrafficRecord } from './traffic-types';

/** The name of this projection's row in `projection_checkpoints`. */
export const DEBUG_LOGS_CHECKPOINT = 'debug_logs';

type JournalRow = { seq: number; record: string; params: string | null; result: string | null };

const COLUMNS: readonly (keyof DebugLogRow)[] = [
  'id', 'at', 'profile_id', 'profile_slug', 'session_id', 'client_name', 'server_id', 'server_name', 'kind', 'method', 'target',
  'status', 'error_code', 'error_message', 'duration_ms', 'request_bytes', 'response_bytes', 'params', 'params_truncated',
  'result', 'result_truncated',
];

const INSERT = `INSERT OR REPLACE INTO debug_logs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

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

const parseRow = ({ seq, record, params, result }: JournalRow): DebugLogRow | null => {
  try {
    return rowOf(seq, { ...(JSON.parse(record) as Omit<TrafficRecord, 'params' | 'result'>), params, result });
  } catch {
    return null;
  }
};

/**
 * Projects the traffic journal into the `debug_logs` read model. Each batch (rows and the
 * checkpoint) is one transaction, so after a crash the projection resumes exactly where it
 * stopped; rows are upserts keyed on the journal's seq, so replaying is harmless. Projected
 * rows are published after the commit, for the live tail.
 */
export class DebugLogProjection {
  private readonly projected = new Subject<DebugLogRow>();
  readonly rows$: Observable<DebugLogRow> = this.projected.asObservable();
  private scheduled: NodeJS.Immediate | null = null;
  /** What this process's journal just appended: projected without reading it back. */
  private recent: DebugLogRow[] = [];
  /** Why the last catch-up failed, until one succeeds. */
  lastError: string | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly options: { batchSize?: number; onError?: (error: unknown) => void } = {},
  ) {}

  /** The journal seq this projection has applied up to. */
  position(): number {
    return this.sql.get<{ position: number }>('SELECT position FROM projection_checkpoints WHERE name = ?', DEBUG_LOGS_CHECKPOINT)?.position ?? 0;
  }

  /** Catches up on the next turn of the event loop; calls in between coalesce. */
  schedule(appended: readonly JournalEntry[] = []): void {
    for (const { seq, record } of appended) this.recent.push(rowOf(seq, record));
    this.scheduled ??= setImmediate(() => {
      this.scheduled = null;
      this.catchUp();
    });
  }

  /** Applies every journal record after the checkpoint; returns how many. Never throws. */
  catchUp(): number {
    let applied = 0;
    try {
      for (let rows = this.applyBatch(); rows !== null; rows = this.applyBatch()) {
        applied += rows.length;
        for (const row of rows) this.projected.next(row);
      }
      this.lastError = null;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.options.onError?.(error);
    }
    return applied;
  }

  /** Drops the read model and projects the journal again from the start. */
  rebuild(): number {
    relaxedCommit(this.sql, () => {
      this.sql.run('DELETE FROM debug_logs');
      this.saveCheckpoint(0);
    });
    return this.catchUp();
  }

  close(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    this.recent = [];
    this.projected.complete();
  }

  /** One batch in one transaction; null when the checkpoint is at the journal's head. */
  private applyBatch(): DebugLogRow[] | null {
    return relaxedCommit(this.sql, () => {
      const after = this.position();
      const batch = this.fromMemory(after) ?? this.fromJournal(after);
      if (batch.last === after) return null;
      for (const row of batch.rows) this.sql.run(INSERT, ...COLUMNS.map((column) => row[column]));
      this.saveCheckpoint(batch.last);
      return batch.rows;
    });
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

  private fromJournal(after: number): { rows: DebugLogRow[]; last: number } {
    const journal = this.sql.all<JournalRow>('SELECT seq, record, params, result FROM traffic_journal WHERE seq > ? ORDER BY seq LIMIT ?', after, this.options.batchSize ?? 1_000);
    const rows: DebugLogRow[] = [];
    for (const entry of journal) {
      const row = parseRow(entry);
      // Only this process writes the journal; a record it cannot read is skipped, not retried forever.
      if (row === null) this.options.onError?.(new Error(`traffic journal record ${entry.seq} is not readable; skipped`));
      else rows.push(row);
    }
    return { rows, last: journal.length === 0 ? after : journal[journal.length - 1].seq };
  }

  private saveCheckpoint(position: number): void {
    this.sql.run(
      `INSERT INTO projection_checkpoints (name, position, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
      DEBUG_LOGS_CHECKPOINT, position, new Date().toISOString(),
    );
  }
}
