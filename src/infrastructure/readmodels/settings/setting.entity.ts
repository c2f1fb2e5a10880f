import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per setting ever changed (JSON value); settings never changed keep their defaults and have no row. */
@Entity('settings')
export class SettingRow {
  @PrimaryColumn('text') key: string;
  @Column('text') value: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}
