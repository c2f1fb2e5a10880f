import { In, type EntityManager } from 'typeorm';
import { lastUsedAt } from '../../key-usage';
import { ProfileReadModel } from '../profile';
import { UserReadModel } from '../user';
import { ApiKeyRow } from './apikey.entity';

export type ApiKeyView = {
  id: string;
  name: string;
  prefix: string;
  profiles: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string | null;
  revokedAt: string | null;
  /** The user the key belongs to; null: the admin token's. */
  ownerId: string | null;
  createdAt: string;
  /** When an MCP endpoint last accepted it (to within a minute); null: never. */
  lastUsedAt: string | null;
  version: number;
};

/** What deciding whether a key opens a profile needs: no name, no hash. */
export type ApiKeyGrant = Readonly<{
  id: string;
  /** Profile ids, or `*`. */
  profiles: readonly string[];
  /** `suspended`: its owner is disabled (or gone); it opens nothing until the owner is enabled again. */
  status: 'active' | 'revoked' | 'suspended';
  expiresAt: string | null;
  ownerId: string | null;
}>;

export const grantOf = (row: ApiKeyRow, ownerEnabled = true): ApiKeyGrant => ({
  id: row.id,
  profiles: JSON.parse(row.profiles) as string[],
  status: row.status === 'active' && !ownerEnabled ? 'suspended' : row.status,
  expiresAt: row.expiresAt,
  ownerId: row.ownerId,
});

/** Whether a key (as stored) still opens anything at `now` (ISO 8601, the stored format). */
export const isUsable = (grant: ApiKeyGrant | undefined | null, now: string): boolean =>
  grant !== undefined && grant !== null && grant.status === 'active' && (grant.expiresAt === null || grant.expiresAt > now);

/** The typed reads of the `api_keys` read model. */
export class ApiKeyReadModel {
  constructor(private readonly manager: EntityManager) {}

  find(id: string): Promise<ApiKeyRow | null> {
    return this.manager.getRepository(ApiKeyRow).findOneBy({ id });
  }

  list(): Promise<ApiKeyRow[]> {
    return this.manager.getRepository(ApiKeyRow).find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The keys of the given user, oldest first. */
  ownedBy(userId: string): Promise<ApiKeyRow[]> {
    return this.manager.getRepository(ApiKeyRow).find({ where: { ownerId: userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The key with this hash (the MCP endpoints' lookup), suspended when its owner is not enabled. */
  async byHash(hash: string): Promise<ApiKeyGrant | null> {
    const row = await this.manager.getRepository(ApiKeyRow).findOneBy({ keyHash: hash });
    return row === null ? null : (await this.grantsOf([row]))[0];
  }

  async byIds(ids: readonly string[]): Promise<Map<string, ApiKeyGrant>> {
    if (ids.length === 0) return new Map();
    const rows = await this.manager.getRepository(ApiKeyRow).findBy({ id: In([...ids]) });
    return new Map((await this.grantsOf(rows)).map((grant) => [grant.id, grant]));
  }

  private async grantsOf(rows: readonly ApiKeyRow[]): Promise<ApiKeyGrant[]> {
    const ownerIds = [...new Set(rows.map((row) => row.ownerId).filter((id): id is string => id !== null))];
    const enabled = await new UserReadModel(this.manager).enabledAmong(ownerIds);
    return rows.map((row) => grantOf(row, row.ownerId === null || enabled.has(row.ownerId)));
  }

  /** A key as the API shows it: scope as slugs for people to read (a profile deleted since shows as its id). */
  async view(row: ApiKeyRow, now = new Date()): Promise<ApiKeyView> {
    const ids = JSON.parse(row.profiles) as string[];
    const slugs = ids.includes('*') ? new Map<string, string>() : await new ProfileReadModel(this.manager).slugsByIds(ids);
    return {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      profiles: ids.includes('*') ? ['*'] : ids.map((id) => slugs.get(id) ?? id),
      status: row.status === 'active' && row.expiresAt !== null && row.expiresAt <= now.toISOString() ? 'expired' : row.status,
      expiresAt: row.expiresAt,
      revokedAt: row.revokedAt,
      ownerId: row.ownerId,
      createdAt: row.createdAt,
      lastUsedAt: (await lastUsedAt(this.manager, [row.id])).get(row.id) ?? null,
      version: row.version,
    };
  }
}
