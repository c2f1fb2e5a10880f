import { createHash } from 'node:crypto';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import { ENTITIES, openApplication, type Application } from './application';
import type { GatehouseConfig } from './config/config';
import { databaseLocation } from './config/database-url';
import { Database } from './persistence/database';
import { DebugLogProjection } from './readmodels/debug-logs';
import { storageOf } from './application-storage';

/**
 * What is copied as it is stored, each table in key order: the data keys (secrets stay sealed
 * under them), the streams, the event log and the traffic journal; and the runtime state that
 * is no configuration and so cannot be rebuilt from the log: browser sign-ins
 * (`user_sessions`), what Gatehouse's authorization server issued (`oauth_server_records`:
 * registered clients, grants, refresh and access tokens, all by hash) and the Streamable HTTP
 * sessions that outlive a restart (`mcp_sessions`), and when each API key was last used
 * (`api_key_usage`). Every other table is a read model, built
 * again on the target from the log and the journal (NOT_COPIED says which ones and why).
 */
export const COPIED: ReadonlyArray<Readonly<{ table: string; key: string }>> = [
  { table: 'data_keys', key: 'id' },
  { table: 'streams', key: 'stream_id' },
  { table: 'events', key: 'position' },
  { table: 'traffic_journal', key: 'seq' },
  { table: 'user_sessions', key: 'token_hash' },
  { table: 'oauth_server_records', key: 'key' },
  { table: 'mcp_sessions', key: 'id' },
  { table: 'api_key_usage', key: 'key_id' },
];

/**
 * The tables migrate-store leaves to the target's rebuild: every configuration read model (from
 * the event log), the debug logs and the projections' checkpoints (from the traffic journal).
 * Together with COPIED this names every table a migrated store has (store-migration.int.test.ts).
 */
export const NOT_COPIED: readonly string[] = [
  'servers', 'tools', 'profiles', 'profile_servers', 'profile_tools', 'profile_slugs', 'api_keys', 'settings',
  'oauth_client_registrations', 'oauth_tokens', 'users', 'personal_access_tokens', 'user_credentials', 'resource_access', 'debug_logs',
  'projection_checkpoints',
];

/**
 * The tables migrate-store neither copies nor rebuilds: one-time setup links (runtime state; a
 * target with no users prints a new link when `gatehouse serve` starts) and messages between
 * running instances (none runs while the store is copied).
 */
export const DROPPED: readonly string[] = ['setup_links', 'mcp_instance_messages'];

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
      const { store, database } = storageOf(source);
      const tables = [...store.projections.flatMap((projection) => projection.tables), ...DebugLogProjection.tables];
      const readModels: string[] = [];
      for (const table of tables) {
        const name = database.reads.connection.getMetadata(table).tableName;
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
  const rows = (await storageOf(app).database.reads.getRepository(table).find()).map((row) => JSON.stringify(row)).sort();
  return createHash('sha256').update(rows.join('\n')).digest('hex');
};

/** A table's rows in key order, one batch at a time (column names as the database gives them). */
async function* rowsOf(database: Database, table: string, key: string): AsyncGenerator<Record<string, unknown>[]> {
  for (let offset = 0; ; offset += BATCH) {
    const rows = (await database.reads.query(`SELECT * FROM ${table} ORDER BY "${key}" LIMIT ${BATCH} OFFSET ${offset}`)) as Record<string, unknown>[];
    if (rows.length === 0) return;
    yield rows;
  }
}

/** A table's rows as both engines give them (int8 and integers as numbers, text as strings), columns sorted. */
const tableDigest = async (database: Database, table: string, key: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const rows of rowsOf(database, table, key)) {
    for (const row of rows) hash.update(`${JSON.stringify(Object.keys(row).sort().map((column) => [column, row[column]]))}\n`);
  }
  return hash.digest('hex');
};

/**
 * The stored rows, batch by batch in key order, into the target (migrated, and empty: else
 * nothing is copied), all in one transaction there: a copy that fails leaves the target empty.
 * Then each copied table is compared with its source, row by row.
 */
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
      const counts = await target.write(async (manager) => {
        const copied: Record<string, number> = {};
        for (const { table, key } of COPIED) {
          copied[table] = 0;
          for await (const rows of rowsOf(source, table, key)) {
            const columns = Object.keys(rows[0]);
            const parameters = rows.flatMap((row) => columns.map((column) => row[column]));
            let n = 0;
            const slot = (): string => (target.kind === 'postgres' ? `$${++n}` : '?');
            const values = rows.map(() => `(${columns.map(slot).join(', ')})`).join(', ');
            await manager.query(`INSERT INTO ${table} (${columns.map((column) => `"${column}"`).join(', ')}) VALUES ${values}`, parameters);
            copied[table] += rows.length;
          }
        }
        return copied;
      });
      for (const { table, key } of COPIED) {
        if ((await tableDigest(source, table, key)) !== (await tableDigest(target, table, key))) throw new StoreMigrationError(`the copy of ${table} differs from its source`);
      }
      return counts;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
};
