import { join } from 'node:path';
import { makeTempDir, TEST_SECRET_KEY } from '../../../test/support/temp-dir';
import { openDatabase, type OpenedDatabase } from '../database';
import { DebugLogProjection } from './debug-log-projection';
import { DebugLogQueries } from './debug-log-queries';
import { Redactor } from './redaction';
import { RetentionJob } from './retention';
import { TrafficJournal, type DropReason } from './traffic-journal';
import type { TrafficExchange } from './traffic-types';

const DAY = 86_400_000;
const NOW = Date.parse('2025-06-01T12:00:00.000Z');

const exchange = (at: number, overrides: Partial<TrafficExchange> = {}): TrafficExchange => ({
  at, profileId: 'p-1', profileSlug: 'dev', sessionId: 's-1', clientName: 'client', server: { id: 'srv-1', name: 'files' },
  kind: 'request', method: 'tools/call', target: 'files__read', status: 'ok', errorCode: null, errorMessage: null, durationMs: 1.5,
  request: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'files__read' } }, response: { jsonrpc: '2.0', id: 1, result: { content: [] } },
  params: { name: 'files__read' }, result: { content: [] }, redactor: new Redactor(), ...overrides,
});

describe('traffic journal, debug-log projection and retention on a SQLite file', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let db: OpenedDatabase;
  let projection: DebugLogProjection;
  let journal: TrafficJournal;
  const dropped: Record<string, number> = {};

  const ids = (): number[] => db.sql.all<{ id: number }>('SELECT id FROM debug_logs ORDER BY id').map((row) => row.id);
  const journalSeqs = (): number[] => db.sql.all<{ seq: number }>('SELECT seq FROM traffic_journal ORDER BY seq').map((row) => row.seq);

  beforeEach(async () => {
    dir = makeTempDir();
    db = await openDatabase({ database: join(dir.path, 'gatehouse.db'), dataDir: dir.path, secretKey: TEST_SECRET_KEY });
    projection = new DebugLogProjection(db.sql, { batchSize: 7 });
    journal = new TrafficJournal({
      sql: db.sql, payloadMaxBytes: () => 64, maxQueue: 50, batchSize: 10, flushIntervalMs: 10_000,
      onDropped: (reason: DropReason, count) => (dropped[reason] = (dropped[reason] ?? 0) + count),
      onAppended: (entries) => projection.schedule(entries),
    });
    for (const key of Object.keys(dropped)) delete dropped[key];
  });
  afterEach(async () => {
    projection.close();
    await db.close();
    dir.cleanup();
  });

  it('writes batches, projects them with a checkpoint, and reports the lag until projected', () => {
    for (let i = 0; i < 25; i += 1) journal.record(exchange(NOW + i, { params: { n: i, blob: 'x'.repeat(100) } }));
    expect(journal.queueLength).toBe(25);
    expect(journal.flush()).toBe(25);
    // Telemetry commits relax fsync for themselves only: configuration commits stay FULL (2).
    expect(db.sql.db.pragma('synchronous', { simple: true })).toBe(2);
    expect({ head: journal.head(), position: projection.position() }).toEqual({ head: 25, position: 0 });
    expect(projection.catchUp()).toBe(25);
    expect(projection.position()).toBe(25);
    expect(db.sql.get<{ position: number }>(`SELECT position FROM projection_checkpoints WHERE name = 'debug_logs'`)?.position).toBe(25);
    const detail = new DebugLogQueries(db.sql).get(3);
    expect(detail).toMatchObject({ id: 3, profile: 'dev', server: 'files', paramsTruncated: true, resultTruncated: false, result: { content: [] } });
    expect(Buffer.byteLength(detail?.params as string)).toBeLessThanOrEqual(64);
  });

  it('rebuilds the same rows however often it replays the journal', () => {
    for (let i = 0; i < 12; i += 1) journal.record(exchange(NOW + i, { status: i % 3 === 0 ? 'error' : 'ok' }));
    journal.flush();
    projection.catchUp();
    const before = db.sql.all('SELECT * FROM debug_logs ORDER BY id');
    expect(projection.rebuild()).toBe(12);
    expect(projection.rebuild()).toBe(12);
    expect(db.sql.all('SELECT * FROM debug_logs ORDER BY id')).toEqual(before);
  });

  it('refuses to update a journal record', () => {
    journal.record(exchange(NOW));
    journal.flush();
    expect(() => db.sql.run(`UPDATE traffic_journal SET record = '{}'`)).toThrow(/append-only/);
  });

  it('drops and counts records beyond its bound instead of waiting, and batches it cannot write', () => {
    for (let i = 0; i < 60; i += 1) journal.record(exchange(NOW + i));
    expect({ queued: journal.queueLength, dropped }).toEqual({ queued: 50, dropped: { queue_full: 10 } });
    journal.flush();
    db.sql.db.pragma('query_only = ON');
    journal.record(exchange(NOW));
    expect(journal.flush()).toBe(0);
    db.sql.db.pragma('query_only = OFF');
    expect(dropped).toEqual({ queue_full: 10, write_failed: 1 });
    journal.close();
    journal.record(exchange(NOW));
    expect(dropped.closed).toBe(1);
  });

  it('publishes projected rows after their commit', async () => {
    const seen: number[] = [];
    const subscription = projection.rows$.subscribe((row) => seen.push(row.id));
    journal.record(exchange(NOW));
    journal.record(exchange(NOW + 1));
    journal.flush();
    await new Promise((resolve) => setImmediate(resolve));
    subscription.unsubscribe();
    expect(seen).toEqual([1, 2]);
  });

  describe('retention', () => {
    const run = (policy: { logRetentionDays: number; logMaxRows: number }) => new RetentionJob({ sql: db.sql, policy: () => policy, now: () => NOW }).runOnce();

    it('deletes rows older than the retention period, and only those, from the journal too', async () => {
      const ages = [10, 8, 7.5, 6.9, 1, 0];
      for (const age of ages) journal.record(exchange(NOW - age * DAY));
      journal.flush();
      projection.catchUp();
      expect(await run({ logRetentionDays: 7, logMaxRows: 1_000 })).toEqual({ byAge: 3, byCount: 0 });
      expect(ids()).toEqual([4, 5, 6]);
      expect(journalSeqs()).toEqual([4, 5, 6]);
      expect(projection.rebuild()).toBe(3);
      expect(ids()).toEqual([4, 5, 6]);
    });

    it('keeps only the newest logMaxRows rows', async () => {
      for (let i = 0; i < 9; i += 1) journal.record(exchange(NOW - i * 1_000));
      journal.flush();
      projection.catchUp();
      expect(await run({ logRetentionDays: 30, logMaxRows: 4 })).toEqual({ byAge: 0, byCount: 5 });
      expect(ids()).toEqual([6, 7, 8, 9]);
      expect(journalSeqs()).toEqual([6, 7, 8, 9]);
      expect(await run({ logRetentionDays: 30, logMaxRows: 4 })).toEqual({ byAge: 0, byCount: 0 });
    });

    it('never reuses a seq, so the checkpoint skips nothing after the newest rows went', async () => {
      for (let i = 0; i < 3; i += 1) journal.record(exchange(NOW));
      journal.flush();
      projection.catchUp();
      await run({ logRetentionDays: 30, logMaxRows: 0 });
      expect(ids()).toEqual([]);
      journal.record(exchange(NOW));
      journal.flush();
      projection.catchUp();
      expect(ids()).toEqual([4]);
    });
  });
});
