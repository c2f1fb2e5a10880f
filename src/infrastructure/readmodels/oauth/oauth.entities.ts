import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The client Gatehouse is registered as with each upstream's authorization server. */
@Entity('oauth_client_registrations')
export class OAuthRegistrationRow {
  @PrimaryColumn('text', { name: 'server_id' }) serverId: string;
  @Column('text') issuer: string;
  @Column('text', { name: 'client_id' }) clientId: string;
  /** JSON of a sealed secret, never plaintext. */
  @Column('text', { name: 'client_secret', nullable: true }) clientSecret: string | null;
  @Column('text', { name: 'client_secret_expires_at', nullable: true }) clientSecretExpiresAt: string | null;
  @Column('text') method: string;
  @Column('text', { name: 'redirect_uri', nullable: true }) redirectUri: string | null;
  @Column('text', { name: 'token_endpoint_auth_method' }) tokenEndpointAuthMethod: string;
  @Column('integer') stale: number;
  @Column('integer') version: number;
  @Column('text', { name: 'registered_at' }) registeredAt: string;
}

/** The tokens Gatehouse holds for each upstream (sealed); revoked ones are cleared, their reason kept. */
@Entity('oauth_tokens')
export class OAuthTokenRow {
  @PrimaryColumn('text', { name: 'server_id' }) serverId: string;
  @Column('text', { name: 'client_id' }) clientId: string;
  @Column('text') issuer: string;
  @Column('text', { name: 'token_endpoint' }) tokenEndpoint: string;
  @Column('text', { name: 'revocation_endpoint', nullable: true }) revocationEndpoint: string | null;
  @Column('text', { nullable: true }) resource: string | null;
  @Column('text', { name: 'access_token', nullable: true }) accessToken: string | null;
  @Column('text', { name: 'refresh_token', nullable: true }) refreshToken: string | null;
  @Column('text', { name: 'expires_at', nullable: true }) expiresAt: string | null;
  @Column('text') scopes: string;
  @Column('text') status: string;
  @Column('text', { name: 'status_detail', nullable: true }) statusDetail: string | null;
  @Column('text', { name: 'granted_at' }) grantedAt: string;
  @Column('text', { name: 'refreshed_at', nullable: true }) refreshedAt: string | null;
  @Column('text', { name: 'revoked_at', nullable: true }) revokedAt: string | null;
  @Column('integer') version: number;
}
