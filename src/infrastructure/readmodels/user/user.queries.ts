import { In, Not, type EntityManager } from 'typeorm';
import type { Role } from '../../../domain/user/events';
import { UserRow } from './user.entity';

/** A user as the API shows it: no password hash. */
export type UserView = Readonly<{
  id: string;
  name: string;
  role: Role;
  status: 'enabled' | 'disabled';
  createdAt: string;
  updatedAt: string;
  version: number;
}>;

export const userView = (row: UserRow): UserView => ({
  id: row.id,
  name: row.name,
  role: row.role,
  status: row.status,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  version: row.version,
});

/** The typed reads of the `users` read model. */
export class UserReadModel {
  constructor(private readonly manager: EntityManager) {}

  byId(id: string): Promise<UserRow | null> {
    return this.manager.getRepository(UserRow).findOneBy({ id });
  }

  byName(name: string): Promise<UserRow | null> {
    return this.manager.getRepository(UserRow).findOneBy({ name });
  }

  /** A user id or a name, as people type them on the command line and in URLs. */
  async byIdOrName(key: string): Promise<UserRow | null> {
    return (await this.byId(key)) ?? this.byName(key);
  }

  list(): Promise<UserRow[]> {
    // Users created in the same millisecond (an import, a restore) in name order, not by their random ids.
    return this.manager.getRepository(UserRow).find({ order: { createdAt: 'ASC', name: 'ASC' } });
  }

  count(): Promise<number> {
    return this.manager.getRepository(UserRow).count();
  }

  /** Enabled owners other than `userId` (the last-owner rule). */
  otherEnabledOwners(userId: string): Promise<number> {
    return this.manager.getRepository(UserRow).countBy({ role: 'owner', status: 'enabled', id: Not(userId) });
  }

  /** Which of these users are enabled (a disabled owner's API keys are suspended). */
  async enabledAmong(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    return new Set((await this.manager.getRepository(UserRow).findBy({ id: In([...ids]), status: 'enabled' })).map((user) => user.id));
  }

  /** The id of the user that holds `name`, or null (the unique-name guard). */
  async nameHolder(name: string): Promise<string | null> {
    return (await this.byName(name))?.id ?? null;
  }
}
