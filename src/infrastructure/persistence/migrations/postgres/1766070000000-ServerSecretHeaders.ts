import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1766070000000-ServerSecretHeaders.ts. */
export class ServerSecretHeaders1766070000000 implements MigrationInterface {
  name = 'ServerSecretHeaders1766070000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE servers ADD COLUMN secret_headers ${TEXT} NOT NULL DEFAULT '[]'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE servers DROP COLUMN secret_headers');
  }
}
