import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A first-start setup link: the SHA-256 of its token (never the token) and until when it opens /setup. */
@Entity('setup_links')
export class SetupLinkRow {
  @PrimaryColumn('text', { name: 'token_hash' }) tokenHash: string;
  @Column('text', { name: 'created_at' }) createdAt: string;
  @Column('text', { name: 'expires_at' }) expiresAt: string;
}
