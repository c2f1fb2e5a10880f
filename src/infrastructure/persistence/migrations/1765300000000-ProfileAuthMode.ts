import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `profiles.auth_mode`: which credentials a profile's MCP endpoint takes (`api_keys` before it existed). */
export class ProfileAuthMode1765300000000 implements MigrationInterface {
  name = 'ProfileAuthMode1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profiles ADD COLUMN auth_mode TEXT NOT NULL DEFAULT 'api_keys'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE profiles DROP COLUMN auth_mode');
  }
}
