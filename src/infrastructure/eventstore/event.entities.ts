import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** The log: one row per event, never updated or deleted (triggers refuse both). */
@Entity('events')
export class EventRecord {
  @PrimaryGeneratedColumn('increment') position: number;
  @Column('text', { name: 'event_id' }) eventId: string;
  @Column('text', { name: 'stream_id' }) streamId: string;
  @Column('integer', { name: 'stream_version' }) streamVersion: number;
  @Column('text') type: string;
  @Column('integer', { name: 'schema_version' }) schemaVersion: number;
  @Column('text') data: string;
  @Column('text') metadata: string;
  @Column('text', { name: 'recorded_at' }) recordedAt: string;
}

/** Every stream with its current version: what an expected-version check compares with. */
@Entity('streams')
export class StreamRecord {
  @PrimaryColumn('text', { name: 'stream_id' }) streamId: string;
  @Column('text', { name: 'stream_type' }) streamType: string;
  @Column('integer') version: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}

export const EVENT_STORE_ENTITIES = [EventRecord, StreamRecord];
