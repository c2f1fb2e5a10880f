import type { Sql } from '../eventstore';
import { detailOf, filterSql, summaryOf, type DebugLogDetail, type DebugLogFilter, type DebugLogRow, type DebugLogSummary } from './debug-log-rows';

export type DebugLogPage = Readonly<{ logs: DebugLogSummary[]; next: number | null }>;

/** Reads of the `debug_logs` read model: newest first for browsing, oldest first for tailing. */
export class DebugLogQueries {
  constructor(private readonly sql: Sql) {}

  /** A page, newest first; `next` is the `cursor` of the following (older) page, null at the end. */
  list(filter: DebugLogFilter, page: { cursor?: number; limit: number }): DebugLogPage {
    const { where, params } = filterSql(filter);
    const cursor = page.cursor === undefined ? '' : ' AND id < ?';
    const rows = this.sql.db
      .prepare(`SELECT * FROM debug_logs WHERE ${where}${cursor} ORDER BY id DESC LIMIT ?`)
      .all(...params, ...(page.cursor === undefined ? [] : [page.cursor]), page.limit + 1) as DebugLogRow[];
    const shown = rows.slice(0, page.limit);
    return { logs: shown.map(summaryOf), next: rows.length > page.limit ? shown[shown.length - 1].id : null };
  }

  get(id: number): DebugLogDetail | null {
    const row = this.sql.get<DebugLogRow>('SELECT * FROM debug_logs WHERE id = ?', id);
    return row === undefined ? null : detailOf(row);
  }

  /** Rows after `afterId`, oldest first (the replay of the live tail, `gatehouse logs tail`). */
  after(filter: DebugLogFilter, afterId: number, limit: number): DebugLogRow[] {
    const { where, params } = filterSql(filter);
    return this.sql.db.prepare(`SELECT * FROM debug_logs WHERE ${where} AND id > ? ORDER BY id LIMIT ?`).all(...params, afterId, limit) as DebugLogRow[];
  }

  /** The newest `limit` rows, oldest first (what a tail shows before it follows). */
  latest(filter: DebugLogFilter, limit: number): DebugLogRow[] {
    const { where, params } = filterSql(filter);
    const rows = this.sql.db.prepare(`SELECT * FROM debug_logs WHERE ${where} ORDER BY id DESC LIMIT ?`).all(...params, limit) as DebugLogRow[];
    return rows.reverse();
  }

  lastId(): number {
    return this.sql.get<{ id: number | null }>('SELECT MAX(id) AS id FROM debug_logs')?.id ?? 0;
  }
}
