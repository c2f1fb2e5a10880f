import type { EntityManager } from 'typeorm';
import { UserReadModel, type UserRow } from '../user';
import { PersonalAccessTokenRow } from './pat.entity';

/** A token as the API shows it: never the token, never its hash. */
export type PersonalAccessTokenView = Readonly<{
  id: string;
  name: string;
  prefix: string;
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
  version: number;
}>;

export const patView = (row: PersonalAccessTokenRow, now = new Date()): PersonalAccessTokenView => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  status: row.status === 'active' && row.expiresAt !== null && row.expiresAt <= now.toISOString() ? 'expired' : row.status,
  expiresAt: row.expiresAt,
  revokedAt: row.revokedAt,
  createdAt: row.createdAt,
  version: row.version,
});

/** The typed reads of the `personal_access_tokens` read model. */
export class PersonalAccessTokenReadModel {
  constructor(private readonly manager: EntityManager) {}

  find(id: string): Promise<PersonalAccessTokenRow | null> {
    return this.manager.getRepository(PersonalAccessTokenRow).findOneBy({ id });
  }

  /** The tokens of one user, oldest first. */
  ownedBy(userId: string): Promise<PersonalAccessTokenRow[]> {
    return this.manager.getRepository(PersonalAccessTokenRow).find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * The enabled user a token (by its hash) acts as at `now`, or null: unknown, revoked, expired,
   * or its user disabled or gone. Reads the user's current row, so a disabled user's tokens stop
   * at once and a role change applies to the next request.
   */
  async userFor(hash: string, now: Date): Promise<UserRow | null> {
    const row = await this.manager.getRepository(PersonalAccessTokenRow).findOneBy({ tokenHash: hash });
    if (row === null || row.status !== 'active' || (row.expiresAt !== null && row.expiresAt <= now.toISOString())) return null;
    const user = await new UserReadModel(this.manager).byId(row.userId);
    return user !== null && user.status === 'enabled' ? user : null;
  }
}
