import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `mcp_instance_messages`: messages between instances too long for a notification (see InstanceMailbox). */
export class McpInstanceMessages1766080000000 implements MigrationInterface {
  name = 'McpInstanceMessages1766080000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE mcp_instance_messages (
      id TEXT PRIMARY KEY NOT NULL,
      recipient TEXT NOT NULL,
      body TEXT NOT NULL,
      expires_at TEXT NOT NULL
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS mcp_instance_messages');
  }
}
