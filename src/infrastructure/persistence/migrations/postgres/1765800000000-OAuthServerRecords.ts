import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1765800000000-OAuthServerRecords.ts. */
export class OAuthServerRecords1765800000000 implements MigrationInterface {
  name = 'OAuthServerRecords1765800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE oauth_server_records (
      key ${TEXT} PRIMARY KEY NOT NULL,
      model ${TEXT} NOT NULL,
      payload ${TEXT} NOT NULL,
      grant_key ${TEXT},
      uid_key ${TEXT},
      expires_at BIGINT,
      consumed_at BIGINT
    )`);
    await queryRunner.query('CREATE INDEX idx_oauth_server_records_grant ON oauth_server_records (grant_key)');
    await queryRunner.query('CREATE INDEX idx_oauth_server_records_uid ON oauth_server_records (uid_key)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE oauth_server_records');
  }
}
