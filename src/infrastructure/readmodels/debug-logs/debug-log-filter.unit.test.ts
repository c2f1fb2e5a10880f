import { LogFilterError, parseLogFilter, parseLogTime } from './debug-log-filter';
import { matchesFilter, type DebugLogRow } from './debug-log-rows';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');

const row = (overrides: Partial<DebugLogRow> = {}): DebugLogRow => ({
  id: 1, at: '2025-03-01T11:00:00.000Z', profile_id: 'p-1', profile_slug: 'dev', session_id: 's-1', client_name: 'Claude',
  server_id: 'srv-1', server_name: 'files', kind: 'request', method: 'tools/call', target: 'files__read', status: 'ok',
  error_code: null, error_message: null, duration_ms: 3, request_bytes: 10, response_bytes: 20, params: '{"path":"/Tmp/Notes"}',
  params_truncated: 0, result: null, result_truncated: 0, ...overrides,
});

describe('log filters', () => {
  it('parses ISO times and durations back from now', () => {
    expect(parseLogTime('since', '15m', NOW)).toBe('2025-03-01T11:45:00.000Z');
    expect(parseLogTime('since', '2025-02-01', NOW)).toBe('2025-02-01T00:00:00.000Z');
    expect(() => parseLogTime('since', 'yesterday', NOW)).toThrow(LogFilterError);
    expect(() => parseLogTime('since', '2025-13-45', NOW)).toThrow(LogFilterError);
  });

  it('refuses unknown statuses, empty values and an empty time range', () => {
    expect(() => parseLogFilter({ status: 'ok,maybe' })).toThrow(/status/);
    expect(() => parseLogFilter({ profile: '' })).toThrow(/profile/);
    expect(() => parseLogFilter({ method: ',' })).toThrow(/method/);
    expect(() => parseLogFilter({ since: '1h', until: '2h' }, NOW)).toThrow(/until/);
  });

  it('matches rows in memory as the SQL filter does', () => {
    const filter = parseLogFilter({ profile: 'dev', server: 'files', status: 'ok,error', method: 'tools/call', since: '2h', q: 'tmp/NOTES' }, NOW);
    expect(matchesFilter(row(), filter)).toBe(true);
    expect(matchesFilter(row({ profile_slug: 'ops', profile_id: 'p-2' }), filter)).toBe(false);
    expect(matchesFilter(row({ status: 'timeout' }), filter)).toBe(false);
    expect(matchesFilter(row({ at: '2025-03-01T09:00:00.000Z' }), filter)).toBe(false);
    expect(matchesFilter(row({ params: '{}' }), filter)).toBe(false);
    expect(matchesFilter(row({ profile_slug: 'x' }), parseLogFilter({ profile: 'p-1' }))).toBe(true);
  });
});
