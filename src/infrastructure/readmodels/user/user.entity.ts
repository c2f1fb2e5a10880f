import { Column, Entity, PrimaryColumn } from 'typeorm';

/** People who sign in: role, status and the scrypt hash of the password (never the password). */
@Entity('users')
export class UserRow {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text') role: 'owner' | 'admin' | 'member';
  @Column('text') status: 'enabled' | 'disabled';
  @Column('text', { name: 'password_hash' }) passwordHash: string;
  @Column('integer') version: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}
