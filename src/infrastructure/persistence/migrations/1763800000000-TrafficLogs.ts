import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Traffic telemetry (issue 5): the append-only `traffic_journal` that the proxy writes in
 * batches, and its read model `debug_logs`, projected from the journal with a checkpoint in
 * `projection_checkpoints`. Both live in the configuration database file so that a projection
 * step (rows + checkpoint) commits atomically and one migration path and one readiness probe
 * cover them; they stay out of the `events` table, so retention may delete them.
 */
export class TrafficLogs1763800000000 implements MigrationInterface {
  name = 'TrafficLogs1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      // AUTOINCREMENT: a seq is never reused after retention deleted the newest rows, so the
      // projection checkpoint can never skip a row.
      // `record` is the exchange without its payloads (JSON); the redacted, truncated params and
      // result sit in their own columns so they are not escaped a second time inside `record`.
      `CREATE TABLE traffic_journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        recorded_at TEXT NOT NULL,
        record TEXT NOT NULL,
        params TEXT,
        result TEXT
      )`,
      `CREATE INDEX ix_traffic_journal_recorded_at ON traffic_journal (recorded_at)`,
      // Append-only: rows are written once and only ever deleted (retention, DELETE /api/logs).
      `CREATE TRIGGER traffic_journal_no_update BEFORE UPDATE ON traffic_journal
        BEGIN SELECT RAISE(ABORT, 'the traffic journal is append-only'); END`,
      `CREATE TABLE debug_logs (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        profile_slug TEXT NOT NULL,
        session_id TEXT NOT NULL,
        client_name TEXT,
        server_id TEXT,
        server_name TEXT,
        kind TEXT NOT NULL,
        method TEXT NOT NULL,
        target TEXT,
        status TEXT NOT NULL,
        error_code INTEGER,
        error_message TEXT,
        duration_ms REAL NOT NULL,
        request_bytes INTEGER NOT NULL,
        response_bytes INTEGER NOT NULL,
        params TEXT,
        params_truncated INTEGER NOT NULL DEFAULT 0,
        result TEXT,
        result_truncated INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE INDEX ix_debug_logs_at ON debug_logs (at)`,
      `CREATE INDEX ix_debug_logs_profile ON debug_logs (profile_slug, id)`,
      `CREATE INDEX ix_debug_logs_session ON debug_logs (session_id, id)`,
      `CREATE INDEX ix_debug_logs_server ON debug_logs (server_name, id)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM projection_checkpoints WHERE name = 'debug_logs'`);
    for (const table of ['debug_logs', 'traffic_journal']) await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
