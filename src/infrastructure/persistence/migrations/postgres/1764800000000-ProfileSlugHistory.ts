import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1764800000000-ProfileSlugHistory.ts (filled from the log once). */
export class ProfileSlugHistory1764800000000 implements MigrationInterface {
  name = 'ProfileSlugHistory1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE profile_slugs (
      slug ${TEXT} NOT NULL,
      profile_id ${TEXT} NOT NULL,
      position BIGINT NOT NULL,
      PRIMARY KEY (slug, position, profile_id)
    )`);
    await queryRunner.query(`INSERT INTO profile_slugs (slug, profile_id, position)
      SELECT data::json->>'slug', data::json->>'profileId', position FROM events
        WHERE type IN ('ProfileCreated', 'ProfileRestored')
      UNION ALL
      SELECT data::json->'changes'->>'slug', data::json->>'profileId', position FROM events
        WHERE type = 'ProfileUpdated' AND data::json->'changes'->>'slug' IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS profile_slugs');
  }
}
