import type { StoredRows } from './sqlite';

/** Every configuration read model with the columns that identify a row, for stable ordering. */
export const READ_MODEL_TABLES: Readonly<Record<string, string>> = {
  servers: 'id',
  tools: 'server_id, name',
  profiles: 'id',
  profile_servers: 'profile_id, server_id',
  profile_tools: 'profile_id, server_id, tool_name',
  api_keys: 'id',
  settings: 'key',
  profile_slugs: 'slug, position, profile_id',
  user_credentials: 'server_id, user_id',
  oauth_client_registrations: 'server_id',
  oauth_tokens: 'server_id',
  users: 'id',
  resource_access: 'kind, resource_id',
  personal_access_tokens: 'id',
};

export type ReadModelDump = Record<string, unknown[]>;

/** Every row of every read model, sorted by key: two dumps are equal when the read models are. */
export const dumpReadModels = (sql: StoredRows): ReadModelDump =>
  Object.fromEntries(Object.entries(READ_MODEL_TABLES).map(([table, key]) => [table, sql.all(`SELECT * FROM ${table} ORDER BY ${key}`)]));
