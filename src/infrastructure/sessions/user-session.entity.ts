import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A browser sign-in: the SHA-256 of the session token (never the token), whose it is, and until when. */
@Entity('user_sessions')
export class UserSessionRow {
  @PrimaryColumn('text', { name: 'token_hash' }) tokenHash: string;
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'last_seen_at' }) lastSeenAt: string;
  @Column('text', { name: 'expires_at' }) expiresAt: string;
}
