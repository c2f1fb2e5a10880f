import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { Database } from '../../persistence/database';
import { PeriodicJob } from '../../periodic-job';
import { DebugLogRecord, TrafficJournalRow } from './debug-log.entities';

const DAY_MS = 86_400_000;
const DELETE_BATCH = 5_000;

export type RetentionPolicy = Readonly<{ logRetentionDays: number; logMaxRows: number }>;

export type RetentionResult = Readonly<{ byAge: number; byCount: number }>;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Cut = Readonly<{ column: string; operator: '<' | '<='; value: string | number }>;

/**
 * Deletes in batches of short transactions with a turn of the event loop in between: a
 * retention run over a million rows must not stall the proxy that shares this thread.
 */
const deleteInBatches = async (database: Database, table: EntityTarget<ObjectLiteral>, key: string, cut: Cut): Promise<number> => {
  let total = 0;
  for (;;) {
    const changes = await database.write(
      async (manager) => {
        const batch = manager
          .createQueryBuilder()
          .select(`doomed.${key}`)
          .from(table, 'doomed')
          .where(`doomed.${cut.column} ${cut.operator} :cut`, { cut: cut.value })
          .limit(DELETE_BATCH);
        const result = await manager.createQueryBuilder().delete().from(table).where(`${key} IN (${batch.getQuery()})`, batch.getParameters()).execute();
        return result.affected ?? 0;
      },
      { durability: 'relaxed' },
    );
    total += changes;
    if (changes < DELETE_BATCH) return total;
    await nextTurn();
  }
};

/**
 * Deletes debug logs recorded before `before` (ISO-8601), from the read model and the journal
 * alike (else a rebuild would bring them back). Returns the number of debug-log rows deleted.
 */
export const deleteLogsBefore = async (database: Database, before: string): Promise<number> => {
  const deleted = await deleteInBatches(database, DebugLogRecord, 'id', { column: 'at', operator: '<', value: before });
  await deleteInBatches(database, TrafficJournalRow, 'seq', { column: 'recordedAt', operator: '<', value: before });
  return deleted;
};

/** Keeps the newest `maxRows` debug logs; returns how many were deleted. */
export const keepNewestLogs = async (database: Database, maxRows: number): Promise<number> => {
  const cutoff = await database.reads.getRepository(DebugLogRecord).createQueryBuilder('log').select('log.id', 'id').orderBy('log.id', 'DESC').offset(maxRows).limit(1).getRawOne<{ id: number }>();
  if (cutoff === undefined) return 0;
  const deleted = await deleteInBatches(database, DebugLogRecord, 'id', { column: 'id', operator: '<=', value: cutoff.id });
  // Journal seqs are the debug-log ids; records after the cutoff (projected or not) stay.
  await deleteInBatches(database, TrafficJournalRow, 'seq', { column: 'seq', operator: '<=', value: cutoff.id });
  return deleted;
};

export type RetentionJobOptions = Readonly<{
  database: Database;
  policy: () => RetentionPolicy;
  intervalMs?: number;
  now?: () => number;
  onRun?: (result: RetentionResult) => void;
  onError?: (error: unknown) => void;
}>;

/**
 * Enforces `logRetentionDays` (rows older than that many days are deleted; 0 keeps none) and
 * `logMaxRows` (only the newest that many are kept; 0 keeps none) every `intervalMs`.
 */
export class RetentionJob extends PeriodicJob<RetentionResult> {
  constructor(options: RetentionJobOptions) {
    super({
      intervalMs: options.intervalMs ?? 60_000,
      onError: options.onError,
      run: async () => {
        const policy = options.policy();
        const now = options.now?.() ?? Date.now();
        const byAge = await deleteLogsBefore(options.database, new Date(now - policy.logRetentionDays * DAY_MS).toISOString());
        const byCount = await keepNewestLogs(options.database, policy.logMaxRows);
        const result = { byAge, byCount };
        if (byAge + byCount > 0) options.onRun?.(result);
        return result;
      },
    });
  }
}
