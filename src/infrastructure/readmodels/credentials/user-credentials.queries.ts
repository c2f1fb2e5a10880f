import { IsNull, Not, type EntityManager } from 'typeorm';
import type { SealedMap, SealedSecret } from '../../../domain/shared';
import { UserCredentialsRow } from './user-credentials.entity';

/** One user's credentials for one server, still sealed; `oauthGrant`: whether they hold an OAuth grant of their own. */
export type SealedUserCredentials = Readonly<{
  serverId: string;
  userId: string;
  bearerToken: SealedSecret | null;
  env: SealedMap;
  oauthGrant: boolean;
  version: number;
  updatedAt: string;
}>;

/** A user's own OAuth grant as the read model has it (the access token sealed), for the token source. */
export type UserGrantRow = Readonly<{ accessToken: SealedSecret; expiresAt: string | null; issuedAt: string; version: number }>;

/** What a user may see of their own credentials: which are set, never a value (not even masked). */
export type UserCredentialsView = Readonly<{
  serverId: string;
  configured: boolean;
  bearerToken: boolean;
  env: readonly string[];
  /** Their own OAuth grant (see POST /api/servers/:s/credentials/oauth/authorize); null: none. */
  oauth: Readonly<{ expiresAt: string | null; refreshable: boolean; scopes: readonly string[]; grantedAt: string; refreshedAt: string | null }> | null;
  updatedAt: string | null;
  version: number;
}>;

export const sealedCredentialsOf = (row: UserCredentialsRow): SealedUserCredentials => ({
  serverId: row.serverId,
  userId: row.userId,
  bearerToken: row.bearerToken === null ? null : (JSON.parse(row.bearerToken) as SealedSecret),
  env: JSON.parse(row.env) as SealedMap,
  oauthGrant: row.oauthAccessToken !== null,
  version: row.version,
  updatedAt: row.updatedAt,
});

const grantView = (row: UserCredentialsRow): UserCredentialsView['oauth'] =>
  row.oauthAccessToken === null || row.oauthGrantedAt === null
    ? null
    : {
        expiresAt: row.oauthExpiresAt,
        refreshable: row.oauthRefreshToken !== null,
        scopes: JSON.parse(row.oauthScopes ?? '[]') as string[],
        grantedAt: row.oauthGrantedAt,
        refreshedAt: row.oauthRefreshedAt,
      };

export const credentialsView = (serverId: string, row: UserCredentialsRow | null): UserCredentialsView =>
  row === null
    ? { serverId, configured: false, bearerToken: false, env: [], oauth: null, updatedAt: null, version: 0 }
    : {
        serverId,
        configured: true,
        bearerToken: row.bearerToken !== null,
        env: Object.keys(JSON.parse(row.env) as SealedMap).sort(),
        oauth: grantView(row),
        updatedAt: row.updatedAt,
        version: row.version,
      };

/** The typed reads of the `user_credentials` read model. */
export class UserCredentialsReadModel {
  constructor(private readonly manager: EntityManager) {}

  find(serverId: string, userId: string): Promise<UserCredentialsRow | null> {
    return this.manager.getRepository(UserCredentialsRow).findOneBy({ serverId, userId });
  }

  /** `userId`'s own OAuth grant for `serverId`, sealed; null when they hold none. */
  async grant(serverId: string, userId: string): Promise<UserGrantRow | null> {
    const row = await this.find(serverId, userId);
    if (row === null || row.oauthAccessToken === null || row.oauthGrantedAt === null) return null;
    return {
      accessToken: JSON.parse(row.oauthAccessToken) as SealedSecret,
      expiresAt: row.oauthExpiresAt,
      issuedAt: row.oauthRefreshedAt ?? row.oauthGrantedAt,
      version: row.version,
    };
  }

  /** The (server, user) pairs whose grants expire (the background refresh sets a timer for each). */
  async expiringGrants(): Promise<{ serverId: string; userId: string }[]> {
    const rows = await this.manager.getRepository(UserCredentialsRow).findBy({ oauthExpiresAt: Not(IsNull()) });
    return rows.map(({ serverId, userId }) => ({ serverId, userId }));
  }

  /** Every user's credentials (sealed), for the proxy's directory at start. */
  async all(): Promise<SealedUserCredentials[]> {
    return (await this.manager.getRepository(UserCredentialsRow).find({ order: { serverId: 'ASC', userId: 'ASC' } })).map(sealedCredentialsOf);
  }
}
