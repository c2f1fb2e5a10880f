import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1765100000000-ServerToolPinning.ts. */
export class ServerToolPinning1765100000000 implements MigrationInterface {
  name = 'ServerToolPinning1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE servers ADD COLUMN tool_pinning ${TEXT} NOT NULL DEFAULT 'off'`);
    await queryRunner.query(`ALTER TABLE servers ADD COLUMN approved_tools ${TEXT} NOT NULL DEFAULT '[]'`);
    await queryRunner.query('ALTER TABLE servers ADD COLUMN approve_first_discovery INTEGER NOT NULL DEFAULT 0');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE servers DROP COLUMN approve_first_discovery');
    await queryRunner.query('ALTER TABLE servers DROP COLUMN approved_tools');
    await queryRunner.query('ALTER TABLE servers DROP COLUMN tool_pinning');
  }
}
