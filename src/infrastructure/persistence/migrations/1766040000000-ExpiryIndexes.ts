import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the expired-records sweep (src/infrastructure/expired-records.ts) and for the
 * delete of lapsed sessions on every sign-in: without them each sweep reads the whole table.
 * `setup_links` holds a handful of rows at most and needs none.
 */
export const EXPIRY_INDEXES = [
  { name: 'oauth_server_records_expires', table: 'oauth_server_records', column: 'expires_at' },
  { name: 'user_sessions_expires', table: 'user_sessions', column: 'expires_at' },
  { name: 'user_sessions_last_seen', table: 'user_sessions', column: 'last_seen_at' },
] as const;

export class ExpiryIndexes1766040000000 implements MigrationInterface {
  name = 'ExpiryIndexes1766040000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const { name, table, column } of EXPIRY_INDEXES) await queryRunner.query(`CREATE INDEX ${name} ON ${table} (${column})`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const { name } of EXPIRY_INDEXES) await queryRunner.query(`DROP INDEX IF EXISTS ${name}`);
  }
}
