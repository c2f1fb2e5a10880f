import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1763900000000-OAuthReadModels.ts. */
export class OAuthReadModels1763900000000 implements MigrationInterface {
  name = 'OAuthReadModels1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE oauth_client_registrations (
      server_id ${TEXT} PRIMARY KEY,
      issuer ${TEXT} NOT NULL,
      client_id ${TEXT} NOT NULL,
      client_secret ${TEXT},
      client_secret_expires_at ${TEXT},
      method ${TEXT} NOT NULL,
      redirect_uri ${TEXT},
      token_endpoint_auth_method ${TEXT} NOT NULL,
      stale INTEGER NOT NULL DEFAULT 0,
      version INTEGER NOT NULL,
      registered_at ${TEXT} NOT NULL
    )`);
    await queryRunner.query(`CREATE TABLE oauth_tokens (
      server_id ${TEXT} PRIMARY KEY,
      client_id ${TEXT} NOT NULL,
      issuer ${TEXT} NOT NULL,
      token_endpoint ${TEXT} NOT NULL,
      revocation_endpoint ${TEXT},
      resource ${TEXT},
      access_token ${TEXT},
      refresh_token ${TEXT},
      expires_at ${TEXT},
      scopes ${TEXT} NOT NULL DEFAULT '[]',
      status ${TEXT} NOT NULL,
      status_detail ${TEXT},
      granted_at ${TEXT} NOT NULL,
      refreshed_at ${TEXT},
      revoked_at ${TEXT},
      version INTEGER NOT NULL
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS oauth_tokens');
    await queryRunner.query('DROP TABLE IF EXISTS oauth_client_registrations');
  }
}
