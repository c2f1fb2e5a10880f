import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `servers.credentials`: whose secrets reach the upstream (`shared` before it existed, or `per_user`). */
export class ServerCredentialMode1766061000000 implements MigrationInterface {
  name = 'ServerCredentialMode1766061000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE servers ADD COLUMN credentials TEXT NOT NULL DEFAULT 'shared'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE servers DROP COLUMN credentials');
  }
}
