import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1765000000000-ProfileToolExposure.ts. */
export class ProfileToolExposure1765000000000 implements MigrationInterface {
  name = 'ProfileToolExposure1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profiles ADD COLUMN tool_exposure ${TEXT} NOT NULL DEFAULT 'all'`);
    await queryRunner.query('ALTER TABLE profiles ADD COLUMN adaptive_tool_limit INTEGER NOT NULL DEFAULT 20');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE profiles DROP COLUMN adaptive_tool_limit');
    await queryRunner.query('ALTER TABLE profiles DROP COLUMN tool_exposure');
  }
}
