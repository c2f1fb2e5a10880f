import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1766020000000-SetupLinks.ts. */
export class SetupLinks1766020000000 implements MigrationInterface {
  name = 'SetupLinks1766020000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE setup_links (
      token_hash ${TEXT} PRIMARY KEY,
      created_at ${TEXT} NOT NULL,
      expires_at ${TEXT} NOT NULL
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS setup_links');
  }
}
