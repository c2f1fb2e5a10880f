import { Brackets, type WhereExpressionBuilder } from 'typeorm';
import type { TrafficKind, TrafficStatus } from '../../telemetry/traffic-types';

/** A `debug_logs` row as stored. */
export type DebugLogRow = Readonly<{
  id: number;
  at: string;
  profile_id: string;
  profile_slug: string;
  session_id: string;
  client_name: string | null;
  server_id: string | null;
  server_name: string | null;
  kind: TrafficKind;
  method: string;
  target: string | null;
  status: TrafficStatus;
  error_code: number | null;
  error_message: string | null;
  duration_ms: number;
  request_bytes: number;
  response_bytes: number;
  params: string | null;
  params_truncated: number;
  result: string | null;
  result_truncated: number;
}>;

/** A debug-log entry as the API and the CLI show it; payloads only in the detailed view. */
export type DebugLogSummary = Readonly<{
  id: number;
  time: string;
  profileId: string;
  profile: string;
  sessionId: string;
  clientName: string | null;
  serverId: string | null;
  server: string | null;
  kind: TrafficKind;
  method: string;
  target: string | null;
  status: TrafficStatus;
  errorCode: number | null;
  errorMessage: string | null;
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
}>;

export type DebugLogDetail = DebugLogSummary & Readonly<{
  /** The redacted params as JSON, or — when cut to `logPayloadMaxBytes` — the JSON text prefix. */
  params: unknown;
  paramsTruncated: boolean;
  result: unknown;
  resultTruncated: boolean;
}>;

export const summaryOf = (row: DebugLogRow): DebugLogSummary => ({
  id: row.id,
  time: row.at,
  profileId: row.profile_id,
  profile: row.profile_slug,
  sessionId: row.session_id,
  clientName: row.client_name,
  serverId: row.server_id,
  server: row.server_name,
  kind: row.kind,
  method: row.method,
  target: row.target,
  status: row.status,
  errorCode: row.error_code,
  errorMessage: row.error_message,
  durationMs: row.duration_ms,
  requestBytes: row.request_bytes,
  responseBytes: row.response_bytes,
});

const payload = (text: string | null, truncated: boolean): unknown => (text === null ? null : truncated ? text : (JSON.parse(text) as unknown));

export const detailOf = (row: DebugLogRow): DebugLogDetail => ({
  ...summaryOf(row),
  params: payload(row.params, row.params_truncated === 1),
  paramsTruncated: row.params_truncated === 1,
  result: payload(row.result, row.result_truncated === 1),
  resultTruncated: row.result_truncated === 1,
});

/** The filters of `GET /api/logs`, its live tail, and `gatehouse logs`. Absent means "any". */
export type DebugLogFilter = Readonly<{
  /** Profile slug or id. */
  profile?: string;
  /** Server name or id. */
  server?: string;
  session?: string;
  methods?: readonly string[];
  statuses?: readonly TrafficStatus[];
  /** ISO-8601, inclusive. */
  since?: string;
  /** ISO-8601, exclusive. */
  until?: string;
  /** Case-insensitive substring of the method, target, server, client, error or payloads. */
  text?: string;
}>;

const SEARCHED_COLUMNS = ['method', 'target', 'server_name', 'client_name', 'error_message', 'params', 'result'] as const;

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** Adds the filter to a query of `debug_logs` aliased `log` (one `andWhere` per field). */
export const whereFilter = <T extends WhereExpressionBuilder>(query: T, filter: DebugLogFilter): T => {
  if (filter.profile !== undefined) query.andWhere('(log.profile_slug = :profile OR log.profile_id = :profile)', { profile: filter.profile });
  if (filter.server !== undefined) query.andWhere('(log.server_name = :server OR log.server_id = :server)', { server: filter.server });
  if (filter.session !== undefined) query.andWhere('log.session_id = :session', { session: filter.session });
  if (filter.methods !== undefined && filter.methods.length > 0) query.andWhere('log.method IN (:...methods)', { methods: filter.methods });
  if (filter.statuses !== undefined && filter.statuses.length > 0) query.andWhere('log.status IN (:...statuses)', { statuses: filter.statuses });
  if (filter.since !== undefined) query.andWhere('log.at >= :since', { since: filter.since });
  if (filter.until !== undefined) query.andWhere('log.at < :until', { until: filter.until });
  if (filter.text !== undefined && filter.text !== '') {
    const pattern = `%${escapeLike(filter.text)}%`;
    query.andWhere(
      new Brackets((any) => {
        for (const column of SEARCHED_COLUMNS) any.orWhere(`log.${column} LIKE :pattern ESCAPE '\\'`, { pattern });
      }),
    );
  }
  return query;
};

/** The same filter in memory, for rows of the live tail (LIKE is ASCII case-insensitive, so is this). */
export const matchesFilter = (row: DebugLogRow, filter: DebugLogFilter): boolean => {
  if (filter.profile !== undefined && row.profile_slug !== filter.profile && row.profile_id !== filter.profile) return false;
  if (filter.server !== undefined && row.server_name !== filter.server && row.server_id !== filter.server) return false;
  if (filter.session !== undefined && row.session_id !== filter.session) return false;
  if (filter.methods !== undefined && filter.methods.length > 0 && !filter.methods.includes(row.method)) return false;
  if (filter.statuses !== undefined && filter.statuses.length > 0 && !filter.statuses.includes(row.status)) return false;
  if (filter.since !== undefined && row.at < filter.since) return false;
  if (filter.until !== undefined && row.at >= filter.until) return false;
  if (filter.text !== undefined && filter.text !== '') {
    const needle = asciiLower(filter.text);
    const columns = [row.method, row.target, row.server_name, row.client_name, row.error_message, row.params, row.result];
    if (!columns.some((value) => value !== null && asciiLower(value).includes(needle))) return false;
  }
  return true;
};

const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (char) => char.toLowerCase());
