import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `resource_access`: owner and visibility of profiles and servers (the `access-<kind>-<id>`
 * streams). `api_keys.owner_id`: the user a key belongs to (NULL: issued with the admin token).
 */
export class ResourceAccess1765900000000 implements MigrationInterface {
  name = 'ResourceAccess1765900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE resource_access (
      kind TEXT NOT NULL,
      resource_id TEXT NOT NULL,
      owner_id TEXT,
      visibility TEXT NOT NULL,
      shared_with_users TEXT NOT NULL,
      shared_with_roles TEXT NOT NULL,
      version INTEGER NOT NULL,
      PRIMARY KEY (kind, resource_id)
    )`);
    await queryRunner.query('ALTER TABLE api_keys ADD COLUMN owner_id TEXT');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE api_keys DROP COLUMN owner_id');
    await queryRunner.query('DROP TABLE resource_access');
  }
}
