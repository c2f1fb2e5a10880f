import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The append-only traffic journal: one record per exchange (JSON, without its payloads), the
 * redacted and truncated payloads in their own columns. Rows are only ever deleted (retention).
 * AUTOINCREMENT: a seq is never reused, so the projection's checkpoint can never skip a row.
 */
@Entity('traffic_journal')
export class TrafficJournalRow {
  @PrimaryGeneratedColumn('increment') seq: number;
  @Column('text', { name: 'recorded_at' }) recordedAt: string;
  @Column('text') record: string;
  @Column('text', { nullable: true }) params: string | null;
  @Column('text', { nullable: true }) result: string | null;
}

/** The `debug_logs` read model, projected from the journal; properties carry the column names. */
@Entity('debug_logs')
export class DebugLogRecord {
  @PrimaryColumn('integer') id: number;
  @Column('text') at: string;
  @Column('text') profile_id: string;
  @Column('text') profile_slug: string;
  @Column('text') session_id: string;
  @Column('text', { nullable: true }) client_name: string | null;
  @Column('text', { nullable: true }) server_id: string | null;
  @Column('text', { nullable: true }) server_name: string | null;
  @Column('text') kind: string;
  @Column('text') method: string;
  @Column('text', { nullable: true }) target: string | null;
  @Column('text') status: string;
  @Column('integer', { nullable: true }) error_code: number | null;
  @Column('text', { nullable: true }) error_message: string | null;
  @Column('real') duration_ms: number;
  @Column('integer') request_bytes: number;
  @Column('integer') response_bytes: number;
  @Column('text', { nullable: true }) params: string | null;
  @Column('integer') params_truncated: number;
  @Column('text', { nullable: true }) result: string | null;
  @Column('integer') result_truncated: number;
}

/** Where each projection that follows a log of its own stands (the debug logs: a journal seq). */
@Entity('projection_checkpoints')
export class ProjectionCheckpointRow {
  @PrimaryColumn('text') name: string;
  @Column('integer') position: number;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}

export const DEBUG_LOG_ENTITIES = [TrafficJournalRow, DebugLogRecord, ProjectionCheckpointRow];
