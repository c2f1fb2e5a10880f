import type { DataSource } from 'typeorm';
import type { SecretBox } from '../crypto';
import type { Sql, SqliteEventStore } from '../eventstore';

/** What command services and queries need: the store, the read-model connection, the secret box. */
export type GatehouseContext = Readonly<{
  store: SqliteEventStore;
  sql: Sql;
  dataSource: DataSource;
  secrets: SecretBox;
}>;
