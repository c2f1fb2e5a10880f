import type { DataSource } from 'typeorm';
import { ApiKeyRow, ProfileRow } from '../readmodels/entities';

export type ApiKeyView = {
  id: string;
  name: string;
  prefix: string;
  profiles: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
  version: number;
};

/** Scope as slugs for people to read; a profile deleted since shows as its id. */
const scopeSlugs = async (dataSource: DataSource, ids: readonly string[]): Promise<string[]> => {
  if (ids.includes('*')) return ['*'];
  const rows = await dataSource.getRepository(ProfileRow).findBy(ids.map((id) => ({ id })));
  const slugs = new Map(rows.map((row) => [row.id, row.slug]));
  return ids.map((id) => slugs.get(id) ?? id);
};

export const apiKeyRowToView = async (dataSource: DataSource, row: ApiKeyRow, now = new Date()): Promise<ApiKeyView> => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  profiles: await scopeSlugs(dataSource, JSON.parse(row.profiles) as string[]),
  status: row.status === 'active' && row.expiresAt !== null && row.expiresAt <= now.toISOString() ? 'expired' : row.status,
  expiresAt: row.expiresAt,
  revokedAt: row.revokedAt,
  createdAt: row.createdAt,
  version: row.version,
});

export const findApiKeyRow = (dataSource: DataSource, id: string): Promise<ApiKeyRow | null> =>
  dataSource.getRepository(ApiKeyRow).findOneBy({ id });

export const listApiKeyRows = (dataSource: DataSource): Promise<ApiKeyRow[]> =>
  dataSource.getRepository(ApiKeyRow).find({ order: { createdAt: 'ASC', id: 'ASC' } });
