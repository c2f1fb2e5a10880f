import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { DebugLogRecord } from './debug-log.entities';
import { detailOf, summaryOf, whereFilter, type DebugLogDetail, type DebugLogFilter, type DebugLogRow, type DebugLogSummary } from './debug-log-rows';

export type DebugLogPage = Readonly<{ logs: DebugLogSummary[]; next: number | null }>;

/** Reads of the `debug_logs` read model: newest first for browsing, oldest first for tailing. */
export class DebugLogQueries {
  constructor(private readonly manager: EntityManager) {}

  /** A page, newest first; `next` is the `cursor` of the following (older) page, null at the end. */
  async list(filter: DebugLogFilter, page: { cursor?: number; limit: number }): Promise<DebugLogPage> {
    const query = this.filtered(filter);
    if (page.cursor !== undefined) query.andWhere('log.id < :cursor', { cursor: page.cursor });
    const rows = await query.orderBy('log.id', 'DESC').limit(page.limit + 1).getMany();
    const shown = rows.slice(0, page.limit);
    return { logs: shown.map((row) => summaryOf(row as DebugLogRow)), next: rows.length > page.limit ? shown[shown.length - 1].id : null };
  }

  async get(id: number): Promise<DebugLogDetail | null> {
    const row = await this.manager.getRepository(DebugLogRecord).findOneBy({ id });
    return row === null ? null : detailOf(row as DebugLogRow);
  }

  /** Rows after `afterId`, oldest first (the replay of the live tail, `gatehouse logs tail`). */
  async after(filter: DebugLogFilter, afterId: number, limit: number): Promise<DebugLogRow[]> {
    const rows = await this.filtered(filter).andWhere('log.id > :afterId', { afterId }).orderBy('log.id').limit(limit).getMany();
    return rows as DebugLogRow[];
  }

  /** The newest `limit` rows, oldest first (what a tail shows before it follows). */
  async latest(filter: DebugLogFilter, limit: number): Promise<DebugLogRow[]> {
    const rows = await this.filtered(filter).orderBy('log.id', 'DESC').limit(limit).getMany();
    return (rows as DebugLogRow[]).reverse();
  }

  async lastId(): Promise<number> {
    const row = await this.manager.createQueryBuilder(DebugLogRecord, 'log').select('MAX(log.id)', 'id').getRawOne<{ id: number | null }>();
    return row?.id ?? 0;
  }

  private filtered(filter: DebugLogFilter): SelectQueryBuilder<DebugLogRecord> {
    return whereFilter(this.manager.createQueryBuilder(DebugLogRecord, 'log'), filter);
  }
}
