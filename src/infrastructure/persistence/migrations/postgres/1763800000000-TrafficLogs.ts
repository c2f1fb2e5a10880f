import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TEXT, TRAFFIC_JOURNAL_LOCK } from './ddl';

/**
 * PostgreSQL counterpart of ../1763800000000-TrafficLogs.ts. A journal row's `seq` comes from a
 * sequence (never reused after retention deleted the newest rows) taken under the journal's
 * advisory lock, held until the inserting transaction ends: seqs commit in increasing order
 * also when several instances write, so the projection's checkpoint never skips a row (a
 * rolled-back batch leaves a gap, which skips nothing).
 */
export class TrafficLogs1763800000000 implements MigrationInterface {
  name = 'TrafficLogs1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE SEQUENCE traffic_journal_seq`,
      `CREATE TABLE traffic_journal (
        seq BIGINT PRIMARY KEY,
        recorded_at ${TEXT} NOT NULL,
        record ${TEXT} NOT NULL,
        params ${TEXT},
        result ${TEXT}
      )`,
      `CREATE INDEX ix_traffic_journal_recorded_at ON traffic_journal (recorded_at)`,
      `CREATE FUNCTION traffic_journal_next_seq() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock(${TRAFFIC_JOURNAL_LOCK});
          IF NEW.seq IS NULL THEN
            NEW.seq := nextval('traffic_journal_seq');
          ELSIF NEW.seq > (SELECT last_value FROM traffic_journal_seq) THEN
            PERFORM setval('traffic_journal_seq', NEW.seq);
          END IF;
          RETURN NEW;
        END $$`,
      `CREATE TRIGGER traffic_journal_seq BEFORE INSERT ON traffic_journal FOR EACH ROW EXECUTE FUNCTION traffic_journal_next_seq()`,
      // Append-only: rows are written once and only ever deleted (retention, DELETE /api/logs).
      `CREATE FUNCTION traffic_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the traffic journal is append-only'; END $$`,
      `CREATE TRIGGER traffic_journal_no_update BEFORE UPDATE ON traffic_journal FOR EACH ROW EXECUTE FUNCTION traffic_journal_append_only()`,
      `CREATE TABLE debug_logs (
        id BIGINT PRIMARY KEY,
        at ${TEXT} NOT NULL,
        profile_id ${TEXT} NOT NULL,
        profile_slug ${TEXT} NOT NULL,
        session_id ${TEXT} NOT NULL,
        client_name ${TEXT},
        server_id ${TEXT},
        server_name ${TEXT},
        kind ${TEXT} NOT NULL,
        method ${TEXT} NOT NULL,
        target ${TEXT},
        status ${TEXT} NOT NULL,
        error_code INTEGER,
        error_message ${TEXT},
        duration_ms DOUBLE PRECISION NOT NULL,
        request_bytes INTEGER NOT NULL,
        response_bytes INTEGER NOT NULL,
        params ${TEXT},
        params_truncated INTEGER NOT NULL DEFAULT 0,
        result ${TEXT},
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
    await queryRunner.query('DROP FUNCTION IF EXISTS traffic_journal_next_seq()');
    await queryRunner.query('DROP FUNCTION IF EXISTS traffic_journal_append_only()');
    await queryRunner.query('DROP SEQUENCE IF EXISTS traffic_journal_seq');
  }
}
