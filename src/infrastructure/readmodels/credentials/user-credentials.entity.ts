import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Each user's own credentials for a per-user server: sealed secrets only (JSON), never a plaintext. */
@Entity('user_credentials')
export class UserCredentialsRow {
  @PrimaryColumn('text', { name: 'server_id' }) serverId: string;
  @PrimaryColumn('text', { name: 'user_id' }) userId: string;
  /** JSON: a SealedSecret, or null. */
  @Column('text', { name: 'bearer_token', nullable: true }) bearerToken: string | null;
  /** JSON: the env values by name, each a SealedSecret. */
  @Column('text') env: string;
  @Column('integer') version: number;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}
