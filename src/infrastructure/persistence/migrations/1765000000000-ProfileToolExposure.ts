import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `profiles.tool_exposure`: how a profile shows its tools (`all`, `search`, `adaptive`; `all`
 * before it existed), and `adaptive_tool_limit`, how many found tools an adaptive session lists.
 */
export class ProfileToolExposure1765000000000 implements MigrationInterface {
  name = 'ProfileToolExposure1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profiles ADD COLUMN tool_exposure TEXT NOT NULL DEFAULT 'all'`);
    await queryRunner.query('ALTER TABLE profiles ADD COLUMN adaptive_tool_limit INTEGER NOT NULL DEFAULT 20');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE profiles DROP COLUMN adaptive_tool_limit');
    await queryRunner.query('ALTER TABLE profiles DROP COLUMN tool_exposure');
  }
}
