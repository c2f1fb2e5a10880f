import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `profiles.tool_exposure`: how a profile shows its tools (`all`, `search`); `all` before it existed. */
export class ProfileToolExposure1765000000000 implements MigrationInterface {
  name = 'ProfileToolExposure1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE profiles ADD COLUMN tool_exposure TEXT NOT NULL DEFAULT 'all'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE profiles DROP COLUMN tool_exposure');
  }
}
