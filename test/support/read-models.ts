import type { Sql } from '../../src/infrastructure/eventstore';

/** Every configuration read model with the columns that identify a row, for stable ordering. */
export const READ_MODEL_TABLES: Readonly<Record<string, string>> = {
  servers: 'id',
  tools: 'server_id, name',
  profiles: 'id',
  profile_servers: 'profile_id, server_id',
  profile_tools: 'profile_id, server_id, tool_name',
  api_keys: 'id',
  settings: 'key',
};

export type ReadModelDump = Record<string, unknown[]>;

/** Every row of every read model, sorted by key: two dumps are equal when the read models are. */
export const dumpReadModels = (sql: Sql): ReadModelDump =>
  Object.fromEntries(
    Object.entries(READ_MODEL_TABLES).map(([table, key]) => [table, sql.db.prepare(`SELECT * FROM ${table} ORDER BY ${key}`).all()]),
  );
