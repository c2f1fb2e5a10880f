import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Each user's own credentials for a per-user server (bearer token, env values, OAuth grant): sealed secrets only (JSON), never a plaintext. */
@Entity('user_credentials')
export class UserCredentialsRow {
  @PrimaryColumn('text', { name: 'server_id' }) serverId: string;
  @PrimaryColumn('text', { name: 'user_id' }) userId: string;
  /** JSON: a SealedSecret, or null. */
  @Column('text', { name: 'bearer_token', nullable: true }) bearerToken: string | null;
  /** JSON: the env values by name, each a SealedSecret. */
  @Column('text') env: string;
  /** The user's own OAuth grant: JSON of the sealed access token; null when there is none. */
  @Column('text', { name: 'oauth_access_token', nullable: true }) oauthAccessToken: string | null;
  /** JSON of the sealed refresh token, or null. */
  @Column('text', { name: 'oauth_refresh_token', nullable: true }) oauthRefreshToken: string | null;
  @Column('text', { name: 'oauth_expires_at', nullable: true }) oauthExpiresAt: string | null;
  /** JSON: the granted scopes. */
  @Column('text', { name: 'oauth_scopes', nullable: true }) oauthScopes: string | null;
  @Column('text', { name: 'oauth_granted_at', nullable: true }) oauthGrantedAt: string | null;
  @Column('text', { name: 'oauth_refreshed_at', nullable: true }) oauthRefreshedAt: string | null;
  @Column('integer') version: number;
  @Column('text', { name: 'updated_at' }) updatedAt: string;
}
