import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `personal_access_tokens`: the read model of the `pat-<id>` streams (the SHA-256 of each token, never the token). */
export class PersonalAccessTokens1766010000000 implements MigrationInterface {
  name = 'PersonalAccessTokens1766010000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE personal_access_tokens (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      name TEXT NOT NULL,
      token_hash TEXT NOT NULL,
      prefix TEXT NOT NULL,
      status TEXT NOT NULL,
      expires_at TEXT,
      revoked_at TEXT,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL
    )`);
    await queryRunner.query('CREATE UNIQUE INDEX personal_access_tokens_hash ON personal_access_tokens (token_hash)');
    await queryRunner.query('CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE personal_access_tokens');
  }
}
