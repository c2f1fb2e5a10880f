import type { DebugLogFilter } from './debug-log-rows';
import { TRAFFIC_STATUSES, type TrafficStatus } from '../../telemetry/traffic-types';

/** A filter value that cannot be used; the REST API answers 400, the CLI exits with usage. */
export class LogFilterError extends Error {
  override readonly name = 'LogFilterError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export const LOG_FILTER_FIELDS = ['profile', 'server', 'session', 'method', 'status', 'since', 'until', 'q'] as const;
export type LogFilterInput = Partial<Record<(typeof LOG_FILTER_FIELDS)[number], string>>;

const MAX_TEXT = 200;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time: ISO-8601 (`2025-01-31T12:00:00Z`, `2025-01-31`) or a duration back from
 * `now` (`30s`, `15m`, `2h`, `7d`). Returned as ISO-8601 UTC, the form the rows are stored in.
 */
export const parseLogTime = (field: string, value: string, now = Date.now()): string => {
  const relative = /^(\d{1,9})([smhd])$/.exec(value);
  if (relative) return new Date(now - Number(relative[1]) * UNIT_MS[relative[2]]).toISOString();
  const time = new Date(value);
  if (value.length > 64 || !/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time.getTime())) {
    throw new LogFilterError(field, `${field} must be an ISO-8601 time or a duration like 15m, 2h, 7d`);
  }
  return time.toISOString();
};

const list = (value: string): string[] => value.split(',').map((item) => item.trim()).filter((item) => item !== '');

const bounded = (field: string, value: string, max: number): string => {
  if (value.length === 0 || value.length > max) throw new LogFilterError(field, `${field} must be 1 to ${max} characters`);
  return value;
};

/** Checks and normalizes the filter fields shared by `GET /api/logs`, its stream and the CLI. */
export const parseLogFilter = (input: LogFilterInput, now = Date.now()): DebugLogFilter => {
  const statuses = input.status === undefined ? undefined : list(input.status);
  const unknown = statuses?.find((status) => !(TRAFFIC_STATUSES as readonly string[]).includes(status));
  if (unknown !== undefined) throw new LogFilterError('status', `status must be one or more of ${TRAFFIC_STATUSES.join(', ')} (comma-separated), got "${unknown}"`);
  const methods = input.method === undefined ? undefined : list(bounded('method', input.method, 1_000));
  if (methods !== undefined && (methods.length === 0 || methods.some((method) => method.length > 100))) {
    throw new LogFilterError('method', 'method must be one or more method names (comma-separated), like tools/call');
  }
  const since = input.since === undefined ? undefined : parseLogTime('since', input.since, now);
  const until = input.until === undefined ? undefined : parseLogTime('until', input.until, now);
  if (since !== undefined && until !== undefined && since >= until) throw new LogFilterError('until', 'until must be later than since');
  return {
    ...(input.profile !== undefined ? { profile: bounded('profile', input.profile, 200) } : {}),
    ...(input.server !== undefined ? { server: bounded('server', input.server, 200) } : {}),
    // A Streamable HTTP session id is sealed (mcp-sessions/session-ids.ts): up to 512 characters.
    ...(input.session !== undefined ? { session: bounded('session', input.session, 512) } : {}),
    ...(methods !== undefined ? { methods } : {}),
    ...(statuses !== undefined ? { statuses: statuses as TrafficStatus[] } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(input.q !== undefined ? { text: bounded('q', input.q, MAX_TEXT) } : {}),
  };
};
