import type { MigrationInterface, QueryRunner } from 'typeorm';
import { EVENT_LOG_LOCK, TEXT } from './ddl';

/**
 * PostgreSQL counterpart of ../1763700000000-InitialSchema.ts (same name, same tables and
 * columns). Positions are not a sequence: a sequence hands out numbers in the order
 * transactions start, not in the order they commit, and a rolled-back one leaves a gap, so a
 * follower reading `position > cursor` could skip an event that commits later with a lower
 * number. Instead a trigger takes the event log's advisory lock (held until the transaction
 * ends) and gives the row MAX(position) + 1: positions are gap-free and in commit order, whoever
 * inserts. Two more triggers make the log append-only.
 */
export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE events (
        position BIGINT PRIMARY KEY,
        event_id ${TEXT} NOT NULL UNIQUE,
        stream_id ${TEXT} NOT NULL,
        stream_version INTEGER NOT NULL,
        type ${TEXT} NOT NULL,
        schema_version INTEGER NOT NULL DEFAULT 1,
        data ${TEXT} NOT NULL,
        metadata ${TEXT} NOT NULL,
        recorded_at ${TEXT} NOT NULL,
        UNIQUE (stream_id, stream_version)
      )`,
      `CREATE INDEX ix_events_type_position ON events (type, position)`,
      `CREATE INDEX ix_events_recorded_at ON events (recorded_at)`,
      `CREATE FUNCTION events_next_position() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock(${EVENT_LOG_LOCK});
          IF NEW.position IS NULL THEN
            NEW.position := COALESCE((SELECT MAX(position) FROM events), 0) + 1;
          END IF;
          RETURN NEW;
        END $$`,
      `CREATE TRIGGER events_position BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_next_position()`,
      `CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'events are append-only'; END $$`,
      `CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only()`,
      `CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only()`,
      `CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()`,
      `CREATE TABLE streams (
        stream_id ${TEXT} PRIMARY KEY,
        stream_type ${TEXT} NOT NULL,
        version INTEGER NOT NULL,
        created_at ${TEXT} NOT NULL,
        updated_at ${TEXT} NOT NULL
      )`,
      `CREATE TABLE data_keys (
        id ${TEXT} PRIMARY KEY,
        wrapped ${TEXT} NOT NULL,
        active INTEGER NOT NULL DEFAULT 0,
        created_at ${TEXT} NOT NULL
      )`,
      `CREATE TABLE projection_checkpoints (
        name ${TEXT} PRIMARY KEY,
        position BIGINT NOT NULL,
        updated_at ${TEXT} NOT NULL
      )`,
      `CREATE TABLE servers (
        id ${TEXT} PRIMARY KEY,
        name ${TEXT} NOT NULL,
        description ${TEXT},
        transport ${TEXT} NOT NULL,
        command ${TEXT},
        args ${TEXT} NOT NULL DEFAULT '[]',
        env ${TEXT} NOT NULL DEFAULT '{}',
        cwd ${TEXT},
        url ${TEXT},
        headers ${TEXT} NOT NULL DEFAULT '{}',
        bearer_token ${TEXT},
        timeout_ms INTEGER,
        isolation ${TEXT} NOT NULL DEFAULT 'shared',
        status ${TEXT} NOT NULL,
        tools_fingerprint ${TEXT},
        tools_discovered_at ${TEXT},
        version INTEGER NOT NULL,
        created_at ${TEXT} NOT NULL,
        updated_at ${TEXT} NOT NULL,
        removed_at ${TEXT}
      )`,
      `CREATE UNIQUE INDEX ux_servers_active_name ON servers (name) WHERE status = 'active'`,
      `CREATE TABLE tools (
        server_id ${TEXT} NOT NULL,
        name ${TEXT} NOT NULL,
        title ${TEXT},
        description ${TEXT},
        input_schema ${TEXT} NOT NULL,
        output_schema ${TEXT},
        annotations ${TEXT},
        discovered_at ${TEXT} NOT NULL,
        PRIMARY KEY (server_id, name)
      )`,
      `CREATE TABLE profiles (
        id ${TEXT} PRIMARY KEY,
        slug ${TEXT} NOT NULL,
        name ${TEXT} NOT NULL,
        description ${TEXT},
        tool_prefix ${TEXT} NOT NULL,
        auth_api_key INTEGER NOT NULL,
        auth_query_param INTEGER NOT NULL,
        debug_logging INTEGER NOT NULL,
        status ${TEXT} NOT NULL,
        version INTEGER NOT NULL,
        created_at ${TEXT} NOT NULL,
        updated_at ${TEXT} NOT NULL,
        deleted_at ${TEXT}
      )`,
      `CREATE UNIQUE INDEX ux_profiles_active_slug ON profiles (slug) WHERE status = 'active'`,
      `CREATE TABLE profile_servers (
        profile_id ${TEXT} NOT NULL,
        server_id ${TEXT} NOT NULL,
        status ${TEXT} NOT NULL,
        position BIGINT NOT NULL,
        created_at ${TEXT} NOT NULL,
        updated_at ${TEXT} NOT NULL,
        PRIMARY KEY (profile_id, server_id)
      )`,
      `CREATE INDEX ix_profile_servers_server ON profile_servers (server_id)`,
      `CREATE TABLE profile_tools (
        profile_id ${TEXT} NOT NULL,
        server_id ${TEXT} NOT NULL,
        tool_name ${TEXT} NOT NULL,
        status ${TEXT} NOT NULL,
        override_name ${TEXT},
        override_title ${TEXT},
        override_description ${TEXT},
        override_annotations ${TEXT},
        updated_at ${TEXT} NOT NULL,
        PRIMARY KEY (profile_id, server_id, tool_name)
      )`,
      `CREATE TABLE api_keys (
        id ${TEXT} PRIMARY KEY,
        name ${TEXT} NOT NULL,
        key_hash ${TEXT} NOT NULL UNIQUE,
        prefix ${TEXT} NOT NULL,
        profiles ${TEXT} NOT NULL,
        status ${TEXT} NOT NULL,
        expires_at ${TEXT},
        revoked_at ${TEXT},
        version INTEGER NOT NULL,
        created_at ${TEXT} NOT NULL
      )`,
      `CREATE TABLE settings (
        key ${TEXT} PRIMARY KEY,
        value ${TEXT} NOT NULL,
        updated_at ${TEXT} NOT NULL
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'settings', 'api_keys', 'profile_tools', 'profile_servers', 'profiles', 'tools', 'servers',
      'projection_checkpoints', 'data_keys', 'streams', 'events',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await queryRunner.query('DROP FUNCTION IF EXISTS events_next_position()');
    await queryRunner.query('DROP FUNCTION IF EXISTS events_append_only()');
  }
}
