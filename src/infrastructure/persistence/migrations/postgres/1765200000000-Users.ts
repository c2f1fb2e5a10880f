import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT } from './ddl';

/** PostgreSQL counterpart of ../1765200000000-Users.ts. */
export class Users1765200000000 implements MigrationInterface {
  name = 'Users1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE users (
      id ${TEXT} PRIMARY KEY,
      name ${TEXT} NOT NULL,
      role ${TEXT} NOT NULL,
      status ${TEXT} NOT NULL,
      password_hash ${TEXT} NOT NULL,
      version INTEGER NOT NULL,
      created_at ${TEXT} NOT NULL,
      updated_at ${TEXT} NOT NULL
    )`);
    await queryRunner.query('CREATE UNIQUE INDEX users_name ON users (name)');
    await queryRunner.query(`CREATE TABLE user_sessions (
      token_hash ${TEXT} PRIMARY KEY,
      user_id ${TEXT} NOT NULL,
      created_at ${TEXT} NOT NULL,
      last_seen_at ${TEXT} NOT NULL,
      expires_at ${TEXT} NOT NULL
    )`);
    await queryRunner.query('CREATE INDEX user_sessions_user ON user_sessions (user_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS user_sessions');
    await queryRunner.query('DROP TABLE IF EXISTS users');
  }
}
