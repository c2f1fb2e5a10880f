import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event log, its stream table, the wrapped data keys, and the configuration read models.
 * Triggers make the event table append-only: configuration events are never updated or deleted.
 */
export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        stream_id TEXT NOT NULL,
        stream_version INTEGER NOT NULL,
        type TEXT NOT NULL,
        schema_version INTEGER NOT NULL DEFAULT 1,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        UNIQUE (stream_id, stream_version)
      )`,
      `CREATE INDEX ix_events_type_position ON events (type, position)`,
      `CREATE INDEX ix_events_recorded_at ON events (recorded_at)`,
      `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`,
      `CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`,
      `CREATE TABLE streams (
        stream_id TEXT PRIMARY KEY,
        stream_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE data_keys (
        id TEXT PRIMARY KEY,
        wrapped TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE projection_checkpoints (
        name TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE servers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT,
        transport TEXT NOT NULL,
        command TEXT,
        args TEXT NOT NULL DEFAULT '[]',
        env TEXT NOT NULL DEFAULT '{}',
        cwd TEXT,
        url TEXT,
        headers TEXT NOT NULL DEFAULT '{}',
        bearer_token TEXT,
        timeout_ms INTEGER,
        isolation TEXT NOT NULL DEFAULT 'shared',
        status TEXT NOT NULL,
        tools_fingerprint TEXT,
        tools_discovered_at TEXT,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        removed_at TEXT
      )`,
      `CREATE UNIQUE INDEX ux_servers_active_name ON servers (name) WHERE status = 'active'`,
      `CREATE TABLE tools (
        server_id TEXT NOT NULL,
        name TEXT NOT NULL,
        title TEXT,
        description TEXT,
        input_schema TEXT NOT NULL,
        output_schema TEXT,
        annotations TEXT,
        discovered_at TEXT NOT NULL,
        PRIMARY KEY (server_id, name)
      )`,
      `CREATE TABLE profiles (
        id TEXT PRIMARY KEY,
        slug TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        tool_prefix TEXT NOT NULL,
        auth_api_key INTEGER NOT NULL,
        auth_query_param INTEGER NOT NULL,
        debug_logging INTEGER NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT
      )`,
      `CREATE UNIQUE INDEX ux_profiles_active_slug ON profiles (slug) WHERE status = 'active'`,
      `CREATE TABLE profile_servers (
        profile_id TEXT NOT NULL,
        server_id TEXT NOT NULL,
        status TEXT NOT NULL,
        position INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (profile_id, server_id)
      )`,
      `CREATE INDEX ix_profile_servers_server ON profile_servers (server_id)`,
      `CREATE TABLE profile_tools (
        profile_id TEXT NOT NULL,
        server_id TEXT NOT NULL,
        tool_name TEXT NOT NULL,
        status TEXT NOT NULL,
        override_name TEXT,
        override_title TEXT,
        override_description TEXT,
        override_annotations TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (profile_id, server_id, tool_name)
      )`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        profiles TEXT NOT NULL,
        status TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
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
  }
}
