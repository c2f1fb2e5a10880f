import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `setup_links`: the first-start links that create the owner (runtime state, not in the log):
 * the SHA-256 of each link's token and when it lapses.
 */
export class SetupLinks1766020000000 implements MigrationInterface {
  name = 'SetupLinks1766020000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE setup_links (
      token_hash TEXT PRIMARY KEY,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE setup_links');
  }
}
