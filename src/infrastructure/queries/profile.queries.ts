import type { DataSource } from 'typeorm';
import type { ProfileSnapshot } from '../../domain/profile/events';
import { ProfileRow, ProfileServerRow, ProfileToolRow, ServerRow } from '../readmodels/entities';

export type ProfileServerView = { id: string; name: string; status: 'active' | 'inactive' };

export type ProfileView = {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  toolPrefix: string;
  auth: { apiKey: boolean; queryParam: boolean };
  debugLogging: boolean;
  servers: ProfileServerView[];
  status: 'active' | 'deleted';
  version: number;
  createdAt?: string;
  updatedAt?: string;
};

/** The active profile with this slug, or, when asked, the most recently deleted one. */
export const findProfileRow = async (dataSource: DataSource, slug: string, options: { includeDeleted?: boolean } = {}): Promise<ProfileRow | null> => {
  const repository = dataSource.getRepository(ProfileRow);
  const active = await repository.findOneBy({ slug, status: 'active' });
  if (active || !options.includeDeleted) return active;
  return repository.findOne({ where: { slug, status: 'deleted' }, order: { deletedAt: 'DESC' } });
};

export const listProfileRows = async (dataSource: DataSource): Promise<ProfileRow[]> =>
  dataSource.getRepository(ProfileRow).find({ where: { status: 'active' }, order: { slug: 'ASC' } });

export const profileServers = async (dataSource: DataSource, profileId: string): Promise<ProfileServerView[]> => {
  const rows = await dataSource
    .getRepository(ProfileServerRow)
    .createQueryBuilder('link')
    .innerJoin(ServerRow, 'server', 'server.id = link.server_id')
    .select(['link.server_id AS id', 'server.name AS name', 'link.status AS status'])
    .where('link.profile_id = :profileId', { profileId })
    .orderBy('link.position', 'ASC')
    .getRawMany<ProfileServerView>();
  return rows;
};

export const profileRowToView = async (dataSource: DataSource, row: ProfileRow): Promise<ProfileView> => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  description: row.description,
  toolPrefix: row.toolPrefix,
  auth: { apiKey: row.authApiKey === 1, queryParam: row.authQueryParam === 1 },
  debugLogging: row.debugLogging === 1,
  servers: await profileServers(dataSource, row.id),
  status: row.status,
  version: row.version,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** A snapshot (from folding the stream) as the API shows it; server names as they were then. */
export const snapshotToProfileView = (snapshot: ProfileSnapshot, serverNames: ReadonlyMap<string, string>, version: number): ProfileView => ({
  id: snapshot.profileId,
  slug: snapshot.slug,
  name: snapshot.name,
  description: snapshot.description,
  toolPrefix: snapshot.toolPrefix,
  auth: { ...snapshot.auth },
  debugLogging: snapshot.debugLogging,
  servers: snapshot.servers.map((link) => ({ id: link.serverId, name: serverNames.get(link.serverId) ?? link.serverId, status: link.status })),
  status: 'active',
  version,
});

export const profileToolRows = async (dataSource: DataSource, profileId: string): Promise<ProfileToolRow[]> =>
  dataSource.getRepository(ProfileToolRow).find({ where: { profileId }, order: { serverId: 'ASC', toolName: 'ASC' } });
