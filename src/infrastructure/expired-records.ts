import { PeriodicJob } from './periodic-job';

/** A table's owner that can drop its expired rows (nothing expired is ever found; this frees the space). */
export type ExpiringTable = Readonly<{ table: string; removeExpired: () => Promise<number> }>;

export type ExpiredRecordsSweepOptions = Readonly<{
  tables: readonly ExpiringTable[];
  intervalMs: number;
  /** Rows removed per table, after a pass that removed any. */
  onRun?: (removed: Readonly<Record<string, number>>) => void;
  /** A table whose sweep failed (the others are swept all the same). */
  onError?: (table: string, error: unknown) => void;
}>;

/**
 * The serving gateway's sweep of runtime state past its expiry: authorization-server records,
 * browser sessions, setup links (MCP session records are swept by the session registry, against
 * the idle setting). Each table's owner says what expired means; this only runs them on a timer.
 */
export const expiredRecordsSweep = (options: ExpiredRecordsSweepOptions): PeriodicJob<Record<string, number>> =>
  new PeriodicJob({
    intervalMs: options.intervalMs,
    run: async () => {
      const removed: Record<string, number> = {};
      for (const { table, removeExpired } of options.tables) {
        try {
          const count = await removeExpired();
          if (count > 0) removed[table] = count;
        } catch (error) {
          options.onError?.(table, error);
        }
      }
      if (Object.keys(removed).length > 0) options.onRun?.(removed);
      return removed;
    },
  });
