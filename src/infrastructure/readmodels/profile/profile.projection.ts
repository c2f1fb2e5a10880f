import type { EntityManager } from 'typeorm';
import { PROFILE_EVENT_TYPES } from '../../../domain/profile/events';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { compiledQuery, type CompiledQuery } from '../../persistence/compiled-query';
import { ProfileRow, ProfileServerRow, ProfileSlugRow, ProfileToolRow } from './profile.entities';
import { ProfileReplay } from './profile.replay';
import { applyProfileEvent, type Overrides, type ProfileValues, type ProfileWrites, type ToolKey } from './profile.writes';

const TOOL_KEY = 'profile_id = :profileId AND server_id = :serverId AND tool_name = :toolName';

const toolKey = (p: ToolKey): ToolKey => ({ profileId: p.profileId, serverId: p.serverId, toolName: p.toolName });

type LinkValues = Omit<ProfileServerRow, 'createdAt' | 'updatedAt'> & { at: string };

// The statements of the profile projection, compiled once (see CompiledQuery): appends run them for every event.
const RECORD_SLUG = compiledQuery<ProfileSlugRow>((manager, p) =>
  manager.createQueryBuilder().insert().into(ProfileSlugRow).values({ slug: p.slug, profileId: p.profileId, position: p.position }).orIgnore().updateEntity(false),
);
const UPSERT_PROFILE = compiledQuery<ProfileValues>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(ProfileRow)
    .values({
      id: p.id, slug: p.slug, name: p.name, description: p.description, toolPrefix: p.toolPrefix, toolExposure: p.toolExposure, adaptiveToolLimit: p.adaptiveToolLimit, authApiKey: p.authApiKey, authQueryParam: p.authQueryParam, authMode: p.authMode,
      debugLogging: p.debugLogging, status: 'active', version: p.version, createdAt: p.createdAt, updatedAt: p.updatedAt, deletedAt: null,
    })
    .orUpdate(['slug', 'name', 'description', 'tool_prefix', 'tool_exposure', 'adaptive_tool_limit', 'auth_api_key', 'auth_query_param', 'auth_mode', 'debug_logging', 'status', 'version', 'updated_at', 'deleted_at'], ['id'])
    .updateEntity(false),
);
/**
 * A link, placed after the profile's last one when it is new (a link that exists keeps its
 * place): one statement that reads nothing back, so PostgreSQL's writer can hold it back.
 */
const UPSERT_LINK = compiledQuery<Omit<LinkValues, 'position'>>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(ProfileServerRow)
    .values({
      profileId: p.profileId, serverId: p.serverId, status: p.status,
      position: () => `(SELECT COALESCE(MAX(earlier.position), 0) + 1 FROM ${manager.connection.driver.escape('profile_servers')} earlier WHERE earlier.profile_id = :profileId)`,
      createdAt: p.at, updatedAt: p.at,
    })
    .setParameter('profileId', p.profileId)
    .orUpdate(['status', 'updated_at'], ['profile_id', 'server_id'])
    .updateEntity(false),
);
/** A tool's status, on its row of settings (created at the defaults otherwise). */
const UPSERT_TOOL_STATUS = compiledQuery<ToolKey & { status: string; at: string }>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(ProfileToolRow)
    .values({ ...toolKey(p), status: p.status as ProfileToolRow['status'], updatedAt: p.at })
    .orUpdate(['status', 'updated_at'], ['profile_id', 'server_id', 'tool_name'])
    .updateEntity(false),
);
/** A tool's overrides, on its row of settings (created active otherwise). */
const UPSERT_TOOL_OVERRIDES = compiledQuery<ToolKey & Overrides & { at: string }>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(ProfileToolRow)
    .values({
      ...toolKey(p), status: 'active', overrideName: p.overrideName, overrideTitle: p.overrideTitle, overrideDescription: p.overrideDescription,
      overrideAnnotations: p.overrideAnnotations, updatedAt: p.at,
    })
    .orUpdate(['override_name', 'override_title', 'override_description', 'override_annotations', 'updated_at'], ['profile_id', 'server_id', 'tool_name'])
    .updateEntity(false),
);
/** A tool back at the default (active, nothing overridden) has no row, as in the domain state. */
const DROP_IF_DEFAULT = compiledQuery<ToolKey>((manager, p) =>
  manager
    .createQueryBuilder()
    .delete()
    .from(ProfileToolRow)
    .where(`${TOOL_KEY} AND status = 'active' AND override_name IS NULL AND override_title IS NULL AND override_description IS NULL AND override_annotations IS NULL`, toolKey(p)),
);
const DELETE_LINKS = compiledQuery<{ profileId: string }>((manager, p) =>
  manager.createQueryBuilder().delete().from(ProfileServerRow).where('profile_id = :profileId', { profileId: p.profileId }),
);
const DELETE_TOOLS = compiledQuery<{ profileId: string }>((manager, p) =>
  manager.createQueryBuilder().delete().from(ProfileToolRow).where('profile_id = :profileId', { profileId: p.profileId }),
);
const DELETE_LINK = compiledQuery<{ profileId: string; serverId: string }>((manager, p) =>
  manager.createQueryBuilder().delete().from(ProfileServerRow).where('profile_id = :profileId AND server_id = :serverId', { profileId: p.profileId, serverId: p.serverId }),
);
const SET_LINK_STATUS = compiledQuery<{ profileId: string; serverId: string; status: string; at: string }>((manager, p) =>
  manager
    .createQueryBuilder()
    .update(ProfileServerRow)
    .set({ status: p.status as ProfileServerRow['status'], updatedAt: p.at })
    .where('profile_id = :profileId AND server_id = :serverId', { profileId: p.profileId, serverId: p.serverId })
    .updateEntity(false),
);
const MARK_DELETED = compiledQuery<{ profileId: string; at: string }>((manager, p) =>
  manager.createQueryBuilder().update(ProfileRow).set({ status: 'deleted', deletedAt: p.at }).where('id = :profileId', { profileId: p.profileId }).updateEntity(false),
);
const TOUCH = compiledQuery<{ profileId: string; version: number; at: string }>((manager, p) =>
  manager.createQueryBuilder().update(ProfileRow).set({ version: p.version, updatedAt: p.at }).where('id = :profileId', { profileId: p.profileId }).updateEntity(false),
);

/** An update of these columns of a profile, compiled once per set of columns (ProfileUpdated changes some settings). */
const UPDATES = new Map<string, CompiledQuery<Partial<ProfileRow> & { profileId: string }>>();
const updateOf = (columns: readonly (keyof ProfileRow)[]): CompiledQuery<Partial<ProfileRow> & { profileId: string }> => {
  const key = [...columns].sort().join(',');
  let query = UPDATES.get(key);
  if (query === undefined) {
    query = compiledQuery<Partial<ProfileRow> & { profileId: string }>((manager, p) =>
      manager
        .createQueryBuilder()
        .update(ProfileRow)
        .set(Object.fromEntries(columns.map((column) => [column, p[column]])))
        .where('id = :profileId', { profileId: p.profileId })
        .updateEntity(false),
    );
    UPDATES.set(key, query);
  }
  return query;
};

/** The projection's changes as SQL statements in the append transaction (or the rebuild's). */
const sqlWrites = (manager: EntityManager): ProfileWrites => ({
  recordSlug: (slug, profileId, position) => RECORD_SLUG.write(manager, { slug, profileId, position }),
  upsertProfile: (values) => UPSERT_PROFILE.write(manager, values),
  updateProfile: async (profileId, columns) => {
    if (Object.keys(columns).length === 0) {
      await manager.createQueryBuilder().update(ProfileRow).set(columns).where('id = :profileId', { profileId }).updateEntity(false).execute();
    } else {
      await updateOf(Object.keys(columns) as (keyof ProfileRow)[]).write(manager, { ...columns, profileId });
    }
  },
  markDeleted: (profileId, at) => MARK_DELETED.write(manager, { profileId, at }),
  touch: (profileId, version, at) => TOUCH.write(manager, { profileId, version, at }),
  upsertLink: (profileId, serverId, status, at) => UPSERT_LINK.write(manager, { profileId, serverId, status, at }),
  deleteLink: (profileId, serverId) => DELETE_LINK.write(manager, { profileId, serverId }),
  setLinkStatus: (profileId, serverId, status, at) => SET_LINK_STATUS.write(manager, { profileId, serverId, status, at }),
  clearLinksAndTools: async (profileId) => {
    await DELETE_LINKS.write(manager, { profileId });
    await DELETE_TOOLS.write(manager, { profileId });
  },
  upsertToolStatus: (key, status, at) => UPSERT_TOOL_STATUS.write(manager, { ...toolKey(key), status, at }),
  upsertToolOverrides: (key, overrides, at) => UPSERT_TOOL_OVERRIDES.write(manager, { ...toolKey(key), ...overrides, at }),
  dropIfDefault: (key) => DROP_IF_DEFAULT.write(manager, toolKey(key)),
});

/** `profiles`, `profile_servers`, `profile_tools` and `profile_slugs`, from the profile streams. */
export const profileProjection: InlineProjection = {
  name: 'profiles',
  eventTypes: new Set<string>(PROFILE_EVENT_TYPES),
  tables: [ProfileToolRow, ProfileServerRow, ProfileRow, ProfileSlugRow],
  apply: (event: StoredEvent, manager: EntityManager) => applyProfileEvent(sqlWrites(manager), event),
  replay: () => new ProfileReplay(),
};
