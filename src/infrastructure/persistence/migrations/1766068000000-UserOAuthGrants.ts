import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `user_credentials` gains each user's own OAuth grant of a per-user server (sealed tokens only). */
export const USER_OAUTH_COLUMNS = ['oauth_access_token', 'oauth_refresh_token', 'oauth_expires_at', 'oauth_scopes', 'oauth_granted_at', 'oauth_refreshed_at'];

export class UserOAuthGrants1766068000000 implements MigrationInterface {
  name = 'UserOAuthGrants1766068000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const column of USER_OAUTH_COLUMNS) await queryRunner.query(`ALTER TABLE user_credentials ADD COLUMN ${column} TEXT`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of USER_OAUTH_COLUMNS) await queryRunner.query(`ALTER TABLE user_credentials DROP COLUMN ${column}`);
  }
}
