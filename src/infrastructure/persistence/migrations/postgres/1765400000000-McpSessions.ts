import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1765400000000-McpSessions.ts. */
export class McpSessions1765400000000 implements MigrationInterface {
  name = 'McpSessions1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE mcp_sessions (
      id ${TEXT} PRIMARY KEY,
      profile_id ${TEXT} NOT NULL,
      key_id ${TEXT},
      initialize ${TEXT} NOT NULL,
      log_level ${TEXT},
      subscriptions ${TEXT} NOT NULL,
      last_active_at ${TEXT} NOT NULL,
      created_at ${TEXT} NOT NULL
    )`);
    await queryRunner.query('CREATE INDEX idx_mcp_sessions_last_active_at ON mcp_sessions (last_active_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS mcp_sessions');
  }
}
