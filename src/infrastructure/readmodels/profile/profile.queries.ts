import { In, type EntityManager } from 'typeorm';
import type { AuthMode, ProfileSnapshot } from '../../../domain/profile/events';
import { authModeOf } from '../../../domain/profile/settings';
import { compiledQuery, selectRows } from '../../persistence/compiled-query';
import { ServerReadModel, type ServerRow } from '../server';
import { ProfileRow, ProfileServerRow, ProfileSlugRow, ProfileToolRow } from './profile.entities';

// Asked inside every append that names a slug, and by every time-travel request.
const SLUG_HOLDER = compiledQuery<{ slug: string }>((manager, p) =>
  manager.createQueryBuilder(ProfileRow, 'p').select('p.id', 'id').where(`p.slug = :slug AND p.status = 'active'`, { slug: p.slug }),
);
const CURRENT_HOLDERS = compiledQuery<{ slug: string }>((manager, p) =>
  manager
    .createQueryBuilder(ProfileRow, 'p')
    .select('p.id', 'id')
    .where('p.slug = :slug', { slug: p.slug })
    .orderBy(`CASE WHEN p.status = 'active' THEN 0 ELSE 1 END`)
    .addOrderBy('p.updatedAt', 'DESC'),
);
const PAST_HOLDERS = compiledQuery<{ slug: string; position: number }>((manager, p) =>
  manager
    .createQueryBuilder(ProfileSlugRow, 'history')
    .select('history.profileId', 'profileId')
    .addSelect('MAX(history.position)', 'last')
    .where('history.slug = :slug AND history.position <= :position', { slug: p.slug, position: p.position })
    .groupBy('history.profileId')
    .orderBy('last', 'DESC'),
);

// Read for every REST write on a profile (to find it, and to answer with it) and by the proxy.
// The active status is written into the SQL, not bound: only then can SQLite use the partial
// index on active slugs (a bound status scans the table).
const ACTIVE_BY_SLUG = compiledQuery<{ slug: string }>((manager, p) => selectRows(manager, ProfileRow, 'p').where(`p.slug = :slug AND p.status = 'active'`, { slug: p.slug }));
const ACTIVE_BY_ID = compiledQuery<{ id: string }>((manager, p) => selectRows(manager, ProfileRow, 'p').where(`p.id = :id AND p.status = 'active'`, { id: p.id }));
const BY_ID = compiledQuery<{ id: string }>((manager, p) => selectRows(manager, ProfileRow, 'p').where('p.id = :id', { id: p.id }));
const LINKS = compiledQuery<{ profileId: string }>((manager, p) =>
  selectRows(manager, ProfileServerRow, 'l').where('l.profileId = :profileId', { profileId: p.profileId }).orderBy('l.position'),
);
// Read by every tool patch's answer (effective tools), every proxy record and every export.
const TOOL_SETTINGS = compiledQuery<{ profileId: string }>((manager, p) =>
  selectRows(manager, ProfileToolRow, 't').where('t.profileId = :profileId', { profileId: p.profileId }).orderBy('t.serverId', 'ASC').addOrderBy('t.toolName', 'ASC'),
);

export type ProfileServerView = { id: string; name: string; status: 'active' | 'inactive' };

export type ProfileView = {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  toolPrefix: string;
  toolExposure: string;
  adaptiveToolLimit: number;
  auth: { apiKey: boolean; queryParam: boolean; mode: AuthMode };
  debugLogging: boolean;
  servers: ProfileServerView[];
  status: 'active' | 'deleted';
  version: number;
  createdAt?: string;
  updatedAt?: string;
};

/** What the proxy needs of a profile, as stored: its servers' secrets still sealed. */
export type ProxyProfileRecord = Readonly<{
  profile: ProfileRow;
  /** The active servers whose link is active, in attach order. */
  servers: readonly ServerRow[];
  tools: readonly ProfileToolRow[];
}>;

/** A snapshot (from folding the stream) as the API shows it; server names as they were then. */
export const snapshotToProfileView = (snapshot: ProfileSnapshot, serverNames: ReadonlyMap<string, string>, version: number): ProfileView => ({
  id: snapshot.profileId,
  slug: snapshot.slug,
  name: snapshot.name,
  description: snapshot.description,
  toolPrefix: snapshot.toolPrefix,
  toolExposure: snapshot.toolExposure,
  adaptiveToolLimit: snapshot.adaptiveToolLimit,
  auth: { apiKey: snapshot.auth.apiKey, queryParam: snapshot.auth.queryParam, mode: authModeOf(snapshot.auth) },
  debugLogging: snapshot.debugLogging,
  servers: snapshot.servers.map((link) => ({ id: link.serverId, name: serverNames.get(link.serverId) ?? link.serverId, status: link.status })),
  status: 'active',
  version,
});

/** The typed reads of the profile read models; nothing else names their tables. */
export class ProfileReadModel {
  constructor(private readonly manager: EntityManager) {}

  /** The active profile with this slug, or, when asked, the most recently deleted one. */
  async findBySlug(slug: string, options: { includeDeleted?: boolean } = {}): Promise<ProfileRow | null> {
    const profiles = this.manager.getRepository(ProfileRow);
    const active = (await ACTIVE_BY_SLUG.one<ProfileRow>(this.manager, { slug })) ?? null;
    if (active || !options.includeDeleted) return active;
    return profiles.findOne({ where: { slug, status: 'deleted' }, order: { deletedAt: 'DESC' } });
  }

  async byId(profileId: string): Promise<ProfileRow | null> {
    return (await BY_ID.one<ProfileRow>(this.manager, { id: profileId })) ?? null;
  }

  listActive(): Promise<ProfileRow[]> {
    return this.manager.getRepository(ProfileRow).find({ where: { status: 'active' }, order: { slug: 'ASC' } });
  }

  /** The links of a profile in attach order. */
  links(profileId: string): Promise<ProfileServerRow[]> {
    return LINKS.all<ProfileServerRow>(this.manager, { profileId });
  }

  /** The attached servers as the API lists them: id, current name, link status. */
  async servers(profileId: string): Promise<ProfileServerView[]> {
    const links = await this.links(profileId);
    const names = await new ServerReadModel(this.manager).namesByIds(links.map((link) => link.serverId));
    return links.filter((link) => names.has(link.serverId)).map((link) => ({ id: link.serverId, name: names.get(link.serverId) as string, status: link.status }));
  }

  async view(row: ProfileRow): Promise<ProfileView> {
    return {
      id: row.id,
      slug: row.slug,
      name: row.name,
      description: row.description,
      toolPrefix: row.toolPrefix,
      toolExposure: row.toolExposure,
      adaptiveToolLimit: row.adaptiveToolLimit,
      auth: { apiKey: row.authApiKey === 1, queryParam: row.authQueryParam === 1, mode: row.authMode as AuthMode },
      debugLogging: row.debugLogging === 1,
      servers: await this.servers(row.id),
      status: row.status,
      version: row.version,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  toolSettings(profileId: string): Promise<ProfileToolRow[]> {
    return TOOL_SETTINGS.all<ProfileToolRow>(this.manager, { profileId });
  }

  /** The active profile that carries `slug`, if any. */
  async slugHolder(slug: string): Promise<string | null> {
    return (await SLUG_HOLDER.one<{ id: string }>(this.manager, { slug }))?.id ?? null;
  }

  /** Slugs by profile id (deleted profiles too). */
  async slugsByIds(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.manager.getRepository(ProfileRow).findBy({ id: In([...ids]) });
    return new Map(rows.map((row) => [row.id, row.slug]));
  }

  /** Profiles whose slug is this one now: active first, then the most recently changed. */
  async currentHoldersOf(slug: string): Promise<string[]> {
    return (await CURRENT_HOLDERS.all<{ id: string }>(this.manager, { slug })).map((row) => row.id);
  }

  /** Profiles that took this slug at or before `position`, the most recent first. */
  async pastHoldersOf(slug: string, position: number): Promise<string[]> {
    return (await PAST_HOLDERS.all<{ profileId: string }>(this.manager, { slug, position })).map((row) => row.profileId);
  }

  /** Profiles with a link to the server, whatever its status. */
  async usingServer(serverId: string): Promise<string[]> {
    const rows = await this.manager.getRepository(ProfileServerRow).find({ where: { serverId }, order: { profileId: 'ASC' } });
    return rows.map((row) => row.profileId);
  }

  /** Whether some profile has an active link to the server (else its processes may end). */
  async isServerInUse(serverId: string): Promise<boolean> {
    return (await this.manager.getRepository(ProfileServerRow).countBy({ serverId, status: 'active' })) > 0;
  }

  /** Active profiles that take OAuth access tokens (auth.mode oauth or both), by slug. */
  async oauthProfiles(): Promise<{ id: string; slug: string }[]> {
    const rows = await this.manager.getRepository(ProfileRow).find({ select: { id: true, slug: true }, where: [{ status: 'active', authMode: 'oauth' }, { status: 'active', authMode: 'both' }], order: { slug: 'ASC' } });
    return rows.map(({ id, slug }) => ({ id, slug }));
  }

  /** Slugs of active profiles that need no credential (no API key, and OAuth not asked for). */
  async openSlugs(): Promise<string[]> {
    const rows = await this.manager.getRepository(ProfileRow).find({ where: { status: 'active', authApiKey: 0, authMode: 'api_keys' }, order: { slug: 'ASC' } });
    return rows.map((row) => row.slug);
  }

  /** The proxy's view of one active profile, by slug or id; null when there is none. */
  async proxyRecord(key: { slug: string } | { id: string }): Promise<ProxyProfileRecord | null> {
    const profile = 'slug' in key ? await ACTIVE_BY_SLUG.one<ProfileRow>(this.manager, { slug: key.slug }) : await ACTIVE_BY_ID.one<ProfileRow>(this.manager, { id: key.id });
    if (!profile) return null;
    const links = (await this.links(profile.id)).filter((link) => link.status === 'active');
    const servers = new Map((await new ServerReadModel(this.manager).activeByIds(links.map((link) => link.serverId))).map((row) => [row.id, row]));
    return {
      profile,
      servers: links.flatMap((link) => servers.get(link.serverId) ?? []),
      tools: await this.toolSettings(profile.id),
    };
  }
}
