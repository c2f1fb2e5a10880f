import { Column, Entity, PrimaryColumn } from 'typeorm';

/** API keys as hashes (SHA-256 of the key), with their scope (profile ids, or `*`) as JSON. */
@Entity('api_keys')
export class ApiKeyRow {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text', { name: 'key_hash' }) keyHash: string;
  @Column('text') prefix: string;
  @Column('text') profiles: string;
  @Column('text') status: 'active' | 'revoked';
  @Column('text', { name: 'expires_at', nullable: true }) expiresAt: string | null;
  @Column('text', { name: 'revoked_at', nullable: true }) revokedAt: string | null;
  /** The user the key belongs to; null: the admin token's. */
  @Column('text', { name: 'owner_id', nullable: true }) ownerId: string | null;
  @Column('integer') version: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
}
