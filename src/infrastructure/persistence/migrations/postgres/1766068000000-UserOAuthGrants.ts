import type { MigrationInterface, QueryRunner } from 'typeorm';
import { USER_OAUTH_COLUMNS } from '../1766068000000-UserOAuthGrants';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1766068000000-UserOAuthGrants.ts. */
export class UserOAuthGrants1766068000000 implements MigrationInterface {
  name = 'UserOAuthGrants1766068000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const column of USER_OAUTH_COLUMNS) await queryRunner.query(`ALTER TABLE user_credentials ADD COLUMN ${column} ${TEXT}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of USER_OAUTH_COLUMNS) await queryRunner.query(`ALTER TABLE user_credentials DROP COLUMN IF EXISTS ${column}`);
  }
}
