import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `api_key_usage`: when each API key was last used (runtime state, not in the log). */
export class ApiKeyUsage1766030000000 implements MigrationInterface {
  name = 'ApiKeyUsage1766030000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE api_key_usage (
      key_id TEXT PRIMARY KEY,
      last_used_at TEXT NOT NULL
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE api_key_usage');
  }
}
