import type { EntityManager } from 'typeorm';
import type { ProfileEvent, ProfileSettings, ProfileSnapshot, ToolOverride } from '../../../domain/profile/events';
import { PROFILE_EVENT_TYPES } from '../../../domain/profile/events';
import { authModeOf, profileSettingsOf } from '../../../domain/profile/settings';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { compiledQuery, type CompiledQuery } from '../../persistence/compiled-query';
import { ProfileRow, ProfileServerRow, ProfileSlugRow, ProfileToolRow } from './profile.entities';

const bool = (value: boolean): number => (value ? 1 : 0);

/** How each setting is stored (auth takes three columns). */
const SETTING_COLUMNS: { [K in keyof ProfileSettings]: (value: ProfileSettings[K]) => Partial<ProfileRow> } = {
  slug: (slug) => ({ slug }),
  name: (name) => ({ name }),
  description: (description) => ({ description }),
  toolPrefix: (toolPrefix) => ({ toolPrefix }),
  toolExposure: (toolExposure) => ({ toolExposure }),
  adaptiveToolLimit: (adaptiveToolLimit) => ({ adaptiveToolLimit }),
  auth: (auth) => ({ authApiKey: bool(auth.apiKey), authQueryParam: bool(auth.queryParam), authMode: authModeOf(auth) }),
  debugLogging: (debugLogging) => ({ debugLogging: bool(debugLogging) }),
};

const settingColumns = (settings: Partial<ProfileSettings>): Partial<ProfileRow> => {
  let columns: Partial<ProfileRow> = {};
  for (const field of Object.keys(settings) as (keyof ProfileSettings)[]) {
    const toColumns = SETTING_COLUMNS[field] as (value: unknown) => Partial<ProfileRow>;
    columns = { ...columns, ...toColumns(settings[field]) };
  }
  return columns;
};

const TOOL_KEY = 'profile_id = :profileId AND server_id = :serverId AND tool_name = :toolName';

type ToolKey = Readonly<{ profileId: string; serverId: string; toolName: string }>;
const toolKey = (p: ToolKey): ToolKey => ({ profileId: p.profileId, serverId: p.serverId, toolName: p.toolName });

type ProfileValues = Omit<ProfileRow, 'status' | 'deletedAt'>;
type LinkValues = Omit<ProfileServerRow, 'createdAt' | 'updatedAt'> & { at: string };
type Overrides = Pick<ProfileToolRow, 'overrideName' | 'overrideTitle' | 'overrideDescription' | 'overrideAnnotations'>;

// The statements of the profile projection, compiled once (see CompiledQuery): a replay runs them for every event.
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

/** Records that `profileId` took `slug` at this event's position (idempotent: replays add nothing). */
const recordSlug = async (manager: EntityManager, profileId: string, slug: string, event: StoredEvent): Promise<void> => {
  await RECORD_SLUG.write(manager, { slug, profileId, position: event.position });
};

const upsertProfile = async (manager: EntityManager, profile: ProfileSettings & { profileId: string }, event: StoredEvent): Promise<void> => {
  const settings = settingColumns(profileSettingsOf(profile)) as Required<Pick<ProfileRow, 'slug' | 'name' | 'description' | 'toolPrefix' | 'toolExposure' | 'adaptiveToolLimit' | 'authApiKey' | 'authQueryParam' | 'authMode' | 'debugLogging'>>;
  await UPSERT_PROFILE.write(manager, { id: profile.profileId, ...settings, version: event.version, createdAt: event.recordedAt, updatedAt: event.recordedAt });
  await recordSlug(manager, profile.profileId, profile.slug, event);
};

const attach = async (manager: EntityManager, profileId: string, serverId: string, status: 'active' | 'inactive', at: string): Promise<void> => {
  await UPSERT_LINK.write(manager, { profileId, serverId, status, at });
};

const overrideColumns = (override: ToolOverride): Overrides => ({
  overrideName: override.name ?? null,
  overrideTitle: override.title ?? null,
  overrideDescription: override.description ?? null,
  overrideAnnotations: override.annotations === undefined ? null : JSON.stringify(override.annotations),
});

const dropIfDefault = async (manager: EntityManager, key: ToolKey): Promise<void> => {
  await DROP_IF_DEFAULT.write(manager, key);
};

const clearLinksAndTools = async (manager: EntityManager, profileId: string): Promise<void> => {
  await DELETE_LINKS.write(manager, { profileId });
  await DELETE_TOOLS.write(manager, { profileId });
};

const restore = async (manager: EntityManager, snapshot: ProfileSnapshot, event: StoredEvent): Promise<void> => {
  await upsertProfile(manager, snapshot, event);
  await clearLinksAndTools(manager, snapshot.profileId);
  for (const server of snapshot.servers) await attach(manager, snapshot.profileId, server.serverId, server.status, event.recordedAt);
  for (const tool of snapshot.tools) {
    const key = { profileId: snapshot.profileId, serverId: tool.serverId, toolName: tool.toolName };
    await UPSERT_TOOL_STATUS.write(manager, { ...key, status: tool.status, at: event.recordedAt });
    await UPSERT_TOOL_OVERRIDES.write(manager, { ...key, ...overrideColumns(tool.override), at: event.recordedAt });
  }
};

const touch = async (manager: EntityManager, profileId: string, event: StoredEvent): Promise<void> => {
  await TOUCH.write(manager, { profileId, version: event.version, at: event.recordedAt });
};

/** Every event but a creation or a restore (which write the whole row) changes part of a profile. */
const applyChange = async (domainEvent: Exclude<ProfileEvent, { type: 'ProfileCreated' | 'ProfileRestored' }>, event: StoredEvent, manager: EntityManager): Promise<void> => {
  const at = event.recordedAt;
  switch (domainEvent.type) {
    case 'ProfileUpdated': {
      const { profileId, changes } = domainEvent.data;
      const columns = settingColumns(changes);
      if (Object.keys(columns).length === 0) {
        await manager.createQueryBuilder().update(ProfileRow).set(columns).where('id = :profileId', { profileId }).updateEntity(false).execute();
      } else {
        await updateOf(Object.keys(columns) as (keyof ProfileRow)[]).write(manager, { ...columns, profileId });
      }
      if (changes.slug !== undefined) await recordSlug(manager, profileId, changes.slug, event);
      return;
    }
    case 'ProfileDeleted':
      await MARK_DELETED.write(manager, { profileId: domainEvent.data.profileId, at });
      return clearLinksAndTools(manager, domainEvent.data.profileId);
    case 'ServerAttached':
      return attach(manager, domainEvent.data.profileId, domainEvent.data.serverId, domainEvent.data.status, at);
    case 'ServerDetached':
      await DELETE_LINK.write(manager, { profileId: domainEvent.data.profileId, serverId: domainEvent.data.serverId });
      return;
    case 'ServerStatusChanged':
      await SET_LINK_STATUS.write(manager, { profileId: domainEvent.data.profileId, serverId: domainEvent.data.serverId, status: domainEvent.data.status, at });
      return;
    case 'ToolStatusChanged': {
      const { profileId, serverId, toolName, status } = domainEvent.data;
      const key = { profileId, serverId, toolName };
      await UPSERT_TOOL_STATUS.write(manager, { ...key, status, at });
      return dropIfDefault(manager, key);
    }
    case 'ToolOverridden':
    case 'ToolOverrideCleared': {
      const { profileId, serverId, toolName } = domainEvent.data;
      const key = { profileId, serverId, toolName };
      await UPSERT_TOOL_OVERRIDES.write(manager, { ...key, ...overrideColumns(domainEvent.type === 'ToolOverridden' ? domainEvent.data.override : {}), at });
      return dropIfDefault(manager, key);
    }
    default:
      return assertNever(domainEvent);
  }
};

const applyProfileEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as ProfileEvent;
  switch (domainEvent.type) {
    case 'ProfileCreated':
      return upsertProfile(manager, domainEvent.data, event);
    case 'ProfileRestored':
      return restore(manager, domainEvent.data, event);
    default:
      await applyChange(domainEvent, event, manager);
      return touch(manager, domainEvent.data.profileId, event);
  }
};

/** `profiles`, `profile_servers`, `profile_tools` and `profile_slugs`, from the profile streams. */
export const profileProjection: InlineProjection = {
  name: 'profiles',
  eventTypes: new Set<string>(PROFILE_EVENT_TYPES),
  tables: [ProfileToolRow, ProfileServerRow, ProfileRow, ProfileSlugRow],
  apply: applyProfileEvent,
};
