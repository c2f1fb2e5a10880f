import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `servers.secret_headers`: the names of the headers declared secret (JSON; none before it existed). */
export class ServerSecretHeaders1766070000000 implements MigrationInterface {
  name = 'ServerSecretHeaders1766070000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE servers ADD COLUMN secret_headers TEXT NOT NULL DEFAULT '[]'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE servers DROP COLUMN secret_headers');
  }
}
