import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What Gatehouse's authorization server (oidc-provider) keeps: clients, grants, sessions,
 * interactions, codes and tokens, one row each. Keyed by a SHA-256 of the model and the id,
 * never the id: a code's or a token's id *is* the code or token, so a copy of this table
 * holds none. A client's secret is sealed in its payload (see oauth-server-adapter.ts).
 */
@Entity('oauth_server_records')
export class OAuthServerRecordRow {
  @PrimaryColumn('text') key: string;
  @Column('text') model: string;
  /** JSON; the id itself (`jti`) is left out and put back from the id it was found by. */
  @Column('text') payload: string;
  @Column('text', { name: 'grant_key', nullable: true }) grantKey: string | null;
  @Column('text', { name: 'uid_key', nullable: true }) uidKey: string | null;
  /** Seconds since the epoch; a row past it is never found again. (grant_key and uid_key are indexed by the migration.) */
  @Column('integer', { name: 'expires_at', nullable: true }) expiresAt: number | null;
  @Column('integer', { name: 'consumed_at', nullable: true }) consumedAt: number | null;
}
