import { createHash } from 'node:crypto';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { TypeOrmEventStore } from './eventstore/typeorm-event-store';
import type { Database } from './persistence/database';
import { DebugLogProjection } from './readmodels/debug-logs';

export type Readiness = { ready: true } | { ready: false; reason: string };

export type RebuildReport = Readonly<{
  events: number;
  eventsMs: number;
  journalRecords: number;
  journalMs: number;
  /** The read models (table names) that differed from what the log gives: they had drifted. */
  changed: readonly string[];
  tables: readonly string[];
}>;

class RollbackProbe extends Error {}

const elapsedMs = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e6;

/** Operations on the whole store: rebuilding the read models, and whether it can serve. */
export class Maintenance {
  constructor(
    private readonly database: Database,
    private readonly store: TypeOrmEventStore,
  ) {}

  /**
   * Drops every configuration read model and replays the log into it in one transaction, then the
   * debug logs from the traffic journal; reports whether any table differed from before.
   */
  async rebuild(): Promise<RebuildReport> {
    const tables = this.store.projections.flatMap((projection) => projection.tables);
    const names = tables.map((table) => this.tableName(table));
    const before = await this.digests([...tables, ...DebugLogProjection.tables]);
    const eventsStarted = process.hrtime.bigint();
    const events = await this.store.rebuild();
    const eventsMs = elapsedMs(eventsStarted);
    const journalStarted = process.hrtime.bigint();
    const debugLogs = await DebugLogProjection.open(this.database);
    const journalRecords = await debugLogs.rebuild();
    debugLogs.close();
    if (debugLogs.lastError !== null) throw new Error(`debug logs could not be rebuilt: ${debugLogs.lastError}`);
    const journalMs = elapsedMs(journalStarted);
    const after = await this.digests([...tables, ...DebugLogProjection.tables]);
    const changed = [...after].filter(([table, digest]) => before.get(table) !== digest).map(([table]) => table);
    return { events, eventsMs, journalRecords, journalMs, changed, tables: names };
  }

  /** Writable and migrated: a write in a transaction that is rolled back proves the first. */
  async readiness(): Promise<Readiness> {
    try {
      if (await this.database.pendingMigrations()) return { ready: false, reason: 'migrations pending' };
      await this.database.write(async (manager) => {
        await DebugLogProjection.probeWrite(manager);
        throw new RollbackProbe();
      });
      return { ready: true };
    } catch (error) {
      if (error instanceof RollbackProbe) return { ready: true };
      return { ready: false, reason: `database not writable: ${(error as Error).message}` };
    }
  }

  private tableName(table: EntityTarget<ObjectLiteral>): string {
    return this.database.reads.connection.getMetadata(table).tableName;
  }

  /** A digest of each table's rows in a fixed order, to tell whether the replay changed anything. */
  private async digests(tables: readonly EntityTarget<ObjectLiteral>[]): Promise<Map<string, string>> {
    const digests = new Map<string, string>();
    for (const table of tables) {
      const rows = (await this.database.reads.getRepository(table).find()).map((row) => JSON.stringify(row)).sort();
      digests.set(this.tableName(table), createHash('sha256').update(rows.join('\n')).digest('hex'));
    }
    return digests;
  }
}

