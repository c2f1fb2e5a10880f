import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `user_credentials`: the read model of the `credentials-<server>-<user>` streams (sealed secrets only). */
export class UserCredentials1766062000000 implements MigrationInterface {
  name = 'UserCredentials1766062000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE user_credentials (
      server_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      bearer_token TEXT,
      env TEXT NOT NULL,
      version INTEGER NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (server_id, user_id)
    )`);
    await queryRunner.query('CREATE INDEX user_credentials_user ON user_credentials (user_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE user_credentials');
  }
}
