import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1766061000000-ServerCredentialMode.ts. */
export class ServerCredentialMode1766061000000 implements MigrationInterface {
  name = 'ServerCredentialMode1766061000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE servers ADD COLUMN credentials ${TEXT} NOT NULL DEFAULT 'shared'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE servers DROP COLUMN credentials');
  }
}
