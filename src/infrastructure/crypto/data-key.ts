import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A data key in memory: what seals and opens secrets. */
export type DataKey = Readonly<{ id: string; key: Buffer }>;

/** A data key at rest, wrapped (AES-256-GCM) by the master key; outside the event log. */
@Entity('data_keys')
export class DataKeyRow {
  @PrimaryColumn('text') id: string;
  @Column('text') wrapped: string;
  @Column('integer') active: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
}
