import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Personal access tokens as hashes (SHA-256 of the token), with the user they act as. */
@Entity('personal_access_tokens')
export class PersonalAccessTokenRow {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text') name: string;
  @Column('text', { name: 'token_hash' }) tokenHash: string;
  @Column('text') prefix: string;
  @Column('text') status: 'active' | 'revoked';
  @Column('text', { name: 'expires_at', nullable: true }) expiresAt: string | null;
  @Column('text', { name: 'revoked_at', nullable: true }) revokedAt: string | null;
  @Column('integer') version: number;
  @Column('text', { name: 'created_at' }) createdAt: string;
}
