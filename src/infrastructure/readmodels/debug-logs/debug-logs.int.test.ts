import { join } from 'node:path';
import { openTestDatabase } from '../../../../test/support/application';
import { StoredRows } from '../../../../test/support/sqlite';
import { makeTempDir } from '../../../../test/support/temp-dir';
import type { Database } from '../../persistence/database';
import { DebugLogProjection } from './debug-log-projection';
import { DebugLogQueries } from './debug-log-queries';
import { Redactor } from '../../telemetry/redaction';
import { RetentionJob } from './retention';
import { TrafficJournal, type DropReason } from './traffic-journal';
import type { TrafficExchange } from '../../telemetry/traffic-types';

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
  let db: Database;
  let stored: StoredRows;
  let projection: DebugLogProjection;
  let journal: TrafficJournal;
  const dropped: Record<string, number> = {};

  const ids = (): number[] => stored.all<{ id: number }>('SELECT id FROM debug_logs ORDER BY id').map((row) => row.id);
  const journalSeqs = (): number[] => stored.all<{ seq: number }>('SELECT seq FROM traffic_journal ORDER BY seq').map((row) => row.seq);

  beforeEach(async () => {
    dir = makeTempDir();
    db = await openTestDatabase(dir.path);
    stored = new StoredRows(join(dir.path, 'gatehouse.db'));
    projection = await DebugLogProjection.open(db, { batchSize: 7 });
    journal = new TrafficJournal({
      database: db, payloadMaxBytes: () => 64, maxQueue: 50, batchSize: 10, flushIntervalMs: 10_000,
      onDropped: (reason: DropReason, count) => (dropped[reason] = (dropped[reason] ?? 0) + count),
      onAppended: (entries) => projection.schedule(entries),
    });
    for (const key of Object.keys(dropped)) delete dropped[key];
  });
  afterEach(async () => {
    projection.close();
    stored.close();
    await db.close();
    dir.cleanup();
  });

  it('writes batches, projects them with a checkpoint (the checkpoint reaches the head of the journal)', async () => {
    for (let i = 0; i < 25; i += 1) journal.record(exchange(NOW + i, { params: { n: i, blob: 'x'.repeat(100) } }));
    expect(journal.queueLength).toBe(25);
    expect(await journal.flush()).toBe(25);
    // Telemetry commits skip the WAL's fdatasync for themselves only: the mode stays what configuration commits need.
    expect((await db.commitMode()).synchronous).toBe('NORMAL + fdatasync of the WAL per batch');
    // The append scheduled a catch-up of its own, which may be under way; this one waits for it.
    expect(journal.head()).toBe(25);
    await projection.catchUp();
    expect(projection.position()).toBe(25);
    expect(stored.get<{ position: number }>(`SELECT position FROM projection_checkpoints WHERE name = 'debug_logs'`)?.position).toBe(25);
    const detail = await new DebugLogQueries(db.reads).get(3);
    expect(detail).toMatchObject({ id: 3, profile: 'dev', server: 'files', paramsTruncated: true, resultTruncated: false, result: { content: [] } });
    expect(Buffer.byteLength(detail?.params as string)).toBeLessThanOrEqual(64);
  });

  it('rebuilds the same rows however often it replays the journal', async () => {
    for (let i = 0; i < 12; i += 1) journal.record(exchange(NOW + i, { status: i % 3 === 0 ? 'error' : 'ok' }));
    await journal.flush();
    await projection.catchUp();
    const before = stored.all('SELECT * FROM debug_logs ORDER BY id');
    expect(await projection.rebuild()).toBe(12);
    expect(await projection.rebuild()).toBe(12);
    expect(stored.all('SELECT * FROM debug_logs ORDER BY id')).toEqual(before);
  });

  it('refuses to update a journal record', async () => {
    journal.record(exchange(NOW));
    await journal.flush();
    await expect(db.write((manager) => manager.query(`UPDATE traffic_journal SET record = '{}'`))).rejects.toThrow(/append-only/);
  });

  it('drops and counts records beyond its bound instead of waiting, and batches it cannot write', async () => {
    for (let i = 0; i < 60; i += 1) journal.record(exchange(NOW + i));
    expect({ queued: journal.queueLength, dropped }).toEqual({ queued: 50, dropped: { queue_full: 10 } });
    await journal.flush();
    await db.refuseWrites(true);
    journal.record(exchange(NOW));
    expect(await journal.flush()).toBe(0);
    await db.refuseWrites(false);
    expect(dropped).toEqual({ queue_full: 10, write_failed: 1 });
    await journal.close();
    journal.record(exchange(NOW));
    expect(dropped.closed).toBe(1);
  });

  it('publishes projected rows after their commit', async () => {
    const seen: number[] = [];
    const subscription = projection.rows$.subscribe((row) => seen.push(row.id));
    journal.record(exchange(NOW));
    journal.record(exchange(NOW + 1));
    await journal.flush();
    await projection.catchUp();
    subscription.unsubscribe();
    expect(seen).toEqual([1, 2]);
  });

  describe('retention', () => {
    const run = (policy: { logRetentionDays: number; logMaxRows: number }) => new RetentionJob({ database: db, policy: () => policy, now: () => NOW }).runOnce();

    it('deletes rows older than the retention period, and only those, from the journal too', async () => {
      const ages = [10, 8, 7.5, 6.9, 1, 0];
      for (const age of ages) journal.record(exchange(NOW - age * DAY));
      await journal.flush();
      await projection.catchUp();
      expect(await run({ logRetentionDays: 7, logMaxRows: 1_000 })).toEqual({ byAge: 3, byCount: 0 });
      expect(ids()).toEqual([4, 5, 6]);
      expect(journalSeqs()).toEqual([4, 5, 6]);
      expect(await projection.rebuild()).toBe(3);
      expect(ids()).toEqual([4, 5, 6]);
    });

    it('keeps only the newest logMaxRows rows', async () => {
      for (let i = 0; i < 9; i += 1) journal.record(exchange(NOW - i * 1_000));
      await journal.flush();
      await projection.catchUp();
      expect(await run({ logRetentionDays: 30, logMaxRows: 4 })).toEqual({ byAge: 0, byCount: 5 });
      expect(ids()).toEqual([6, 7, 8, 9]);
      expect(journalSeqs()).toEqual([6, 7, 8, 9]);
      expect(await run({ logRetentionDays: 30, logMaxRows: 4 })).toEqual({ byAge: 0, byCount: 0 });
    });

    it('never reuses a seq, so the checkpoint skips nothing after the newest rows went', async () => {
      for (let i = 0; i < 3; i += 1) journal.record(exchange(NOW));
      await journal.flush();
      await projection.catchUp();
      await run({ logRetentionDays: 30, logMaxRows: 0 });
      expect(ids()).toEqual([]);
      journal.record(exchange(NOW));
      await journal.flush();
      await projection.catchUp();
      expect(ids()).toEqual([4]);
    });
  });
});
