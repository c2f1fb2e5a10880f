import type { EntityManager } from 'typeorm';
import type { SealedMap, SealedSecret } from '../../../domain/shared';
import { UserCredentialsRow } from './user-credentials.entity';

/** One user's credentials for one server, still sealed. */
export type SealedUserCredentials = Readonly<{ serverId: string; userId: string; bearerToken: SealedSecret | null; env: SealedMap; version: number; updatedAt: string }>;

/** What a user may see of their own credentials: which are set, never a value (not even masked). */
export type UserCredentialsView = Readonly<{
  serverId: string;
  configured: boolean;
  bearerToken: boolean;
  env: readonly string[];
  updatedAt: string | null;
  version: number;
}>;

export const sealedCredentialsOf = (row: UserCredentialsRow): SealedUserCredentials => ({
  serverId: row.serverId,
  userId: row.userId,
  bearerToken: row.bearerToken === null ? null : (JSON.parse(row.bearerToken) as SealedSecret),
  env: JSON.parse(row.env) as SealedMap,
  version: row.version,
  updatedAt: row.updatedAt,
});

export const credentialsView = (serverId: string, row: UserCredentialsRow | null): UserCredentialsView =>
  row === null
    ? { serverId, configured: false, bearerToken: false, env: [], updatedAt: null, version: 0 }
    : { serverId, configured: true, bearerToken: row.bearerToken !== null, env: Object.keys(JSON.parse(row.env) as SealedMap).sort(), updatedAt: row.updatedAt, version: row.version };

/** The typed reads of the `user_credentials` read model. */
export class UserCredentialsReadModel {
  constructor(private readonly manager: EntityManager) {}

  find(serverId: string, userId: string): Promise<UserCredentialsRow | null> {
    return this.manager.getRepository(UserCredentialsRow).findOneBy({ serverId, userId });
  }

  /** Every user's credentials (sealed), for the proxy's directory at start. */
  async all(): Promise<SealedUserCredentials[]> {
    return (await this.manager.getRepository(UserCredentialsRow).find({ order: { serverId: 'ASC', userId: 'ASC' } })).map(sealedCredentialsOf);
  }
}
