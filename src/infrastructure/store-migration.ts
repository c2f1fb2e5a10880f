import { createHash } from 'node:crypto';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import { ENTITIES, openApplication, type Application } from './application';
import type { GatehouseConfig } from './config/config';
import { databaseLocation } from './config/database-url';
import { Database } from './persistence/database';
import { DebugLogRecord } from './readmodels/debug-logs';

/**
 * What is copied as it is stored: the data keys (secrets stay sealed under them), the streams,
 * the event log and the traffic journal, each in key order. Everything else is a read model,
 * built again on the target from these.
 */
const COPIED: ReadonlyArray<Readonly<{ table: string; key: string }>> = [
  { table: 'data_keys', key: 'id' },
  { table: 'streams', key: 'stream_id' },
  { table: 'events', key: 'position' },
  { table: 'traffic_journal', key: 'seq' },
];

const BATCH = 500;

export type StoreMigrationReport = Readonly<{
  from: string;
  to: string;
  copied: Readonly<Record<string, number>>;
  headPosition: number;
  /** The read models compared between the two stores after the rebuild (all equal, or it threw). */
  readModels: readonly string[];
}>;

export class StoreMigrationError extends Error {
  override readonly name = 'StoreMigrationError';
}

/**
 * Copies a store (`from`: the SQLite file or a PostgreSQL database) into another, empty one
 * (`to`), then rebuilds every read model there from the copied log and journal and checks that
 * both stores hold the same events at the same positions and the same read-model rows. Neither
 * store may be served meanwhile. Secrets stay sealed: the data keys move as they are, wrapped
 * by the same master key (GATEHOUSE_SECRET_KEY or the data dir's key file).
 */
export const migrateStore = async (from: GatehouseConfig, to: GatehouseConfig): Promise<StoreMigrationReport> => {
  const copied = await copyStore(from, to);
  const source = await openApplication(from);
  try {
    const target = await openApplication(to);
    try {
      await target.maintenance.rebuild();
      const [headSource, headTarget] = [await source.store.headPosition(), await target.store.headPosition()];
      if (headSource !== headTarget) throw new StoreMigrationError(`the copy ends at position ${headTarget}, the source at ${headSource}`);
      const tables = [...source.store.projections.flatMap((projection) => projection.tables), DebugLogRecord];
      const readModels: string[] = [];
      for (const table of tables) {
        const name = source.database.reads.connection.getMetadata(table).tableName;
        if ((await digest(source, table)) !== (await digest(target, table))) throw new StoreMigrationError(`the read model ${name} differs after the rebuild`);
        readModels.push(name);
      }
      return { from: databaseLocation(from), to: databaseLocation(to), copied, headPosition: headTarget, readModels };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
};

const digest = async (app: Application, table: EntityTarget<ObjectLiteral>): Promise<string> => {
  const rows = (await app.database.reads.getRepository(table).find()).map((row) => JSON.stringify(row)).sort();
  return createHash('sha256').update(rows.join('\n')).digest('hex');
};

/** The stored rows, batch by batch in key order, into the target (migrated, and empty: else nothing is copied). */
const copyStore = async (from: GatehouseConfig, to: GatehouseConfig): Promise<Record<string, number>> => {
  if (databaseLocation(from) === databaseLocation(to)) throw new StoreMigrationError('the source and the target are the same database');
  const source = await Database.open({ path: from.database, url: from.databaseUrl, entities: ENTITIES });
  try {
    const target = await Database.open({ path: to.database, url: to.databaseUrl, entities: ENTITIES });
    try {
      for (const { table } of COPIED) {
        const [{ n }] = (await target.reads.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number }[];
        if (Number(n) > 0) throw new StoreMigrationError(`the target ${databaseLocation(to)} is not empty (${table} has ${n} rows): migrate-store only fills an empty store`);
      }
      const counts: Record<string, number> = {};
      for (const { table, key } of COPIED) {
        counts[table] = 0;
        for (let offset = 0; ; offset += BATCH) {
          const rows = (await source.reads.query(`SELECT * FROM ${table} ORDER BY ${key} LIMIT ${BATCH} OFFSET ${offset}`)) as Record<string, unknown>[];
          if (rows.length === 0) break;
          const columns = Object.keys(rows[0]);
          const parameters = rows.flatMap((row) => columns.map((column) => row[column]));
          let n = 0;
          const slot = (): string => (target.kind === 'postgres' ? `$${++n}` : '?');
          const values = rows.map(() => `(${columns.map(slot).join(', ')})`).join(', ');
          await target.write((manager) => manager.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`, parameters));
          counts[table] += rows.length;
        }
      }
      return counts;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
};
