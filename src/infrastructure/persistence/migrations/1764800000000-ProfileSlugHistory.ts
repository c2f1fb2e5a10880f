import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `profile_slugs`: every time a profile took a slug (created, restored, renamed), at which global
 * position. Time travel by slug (`GET /api/profiles/:slug?at=`) finds the profiles that ever
 * carried a slug here instead of searching the JSON of the event log. Filled from the log once.
 */
export class ProfileSlugHistory1764800000000 implements MigrationInterface {
  name = 'ProfileSlugHistory1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE profile_slugs (
      slug TEXT NOT NULL,
      profile_id TEXT NOT NULL,
      position INTEGER NOT NULL,
      PRIMARY KEY (slug, position, profile_id)
    )`);
    await queryRunner.query(`INSERT INTO profile_slugs (slug, profile_id, position)
      SELECT json_extract(data, '$.slug'), json_extract(data, '$.profileId'), position FROM events
        WHERE type IN ('ProfileCreated', 'ProfileRestored')
      UNION ALL
      SELECT json_extract(data, '$.changes.slug'), json_extract(data, '$.profileId'), position FROM events
        WHERE type = 'ProfileUpdated' AND json_extract(data, '$.changes.slug') IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS profile_slugs');
  }
}
