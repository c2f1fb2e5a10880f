import type { EntityManager } from 'typeorm';
import type { ProfileEvent, ProfileSettings, ProfileSnapshot, ToolOverride } from '../../../domain/profile/events';
import { PROFILE_EVENT_TYPES } from '../../../domain/profile/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { ProfileRow, ProfileServerRow, ProfileSlugRow, ProfileToolRow } from './profile.entities';

const bool = (value: boolean): number => (value ? 1 : 0);

/** How each setting is stored (auth takes two columns). */
const SETTING_COLUMNS: { [K in keyof ProfileSettings]: (value: ProfileSettings[K]) => Partial<ProfileRow> } = {
  slug: (slug) => ({ slug }),
  name: (name) => ({ name }),
  description: (description) => ({ description }),
  toolPrefix: (toolPrefix) => ({ toolPrefix }),
  auth: (auth) => ({ authApiKey: bool(auth.apiKey), authQueryParam: bool(auth.queryParam) }),
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

/** Records that `profileId` took `slug` at this event's position (idempotent: replays add nothing). */
const recordSlug = async (manager: EntityManager, profileId: string, slug: string, event: StoredEvent): Promise<void> => {
  await manager.createQueryBuilder().insert().into(ProfileSlugRow).values({ slug, profileId, position: event.position }).orIgnore().updateEntity(false).execute();
};

const upsertProfile = async (manager: EntityManager, profile: ProfileSettings & { profileId: string }, event: StoredEvent): Promise<void> => {
  await manager
    .createQueryBuilder()
    .insert()
    .into(ProfileRow)
    .values({
      id: profile.profileId, ...settingColumns(profileSettingsOnly(profile)), status: 'active', version: event.version,
      createdAt: event.recordedAt, updatedAt: event.recordedAt, deletedAt: null,
    })
    .orUpdate(['slug', 'name', 'description', 'tool_prefix', 'auth_api_key', 'auth_query_param', 'debug_logging', 'status', 'version', 'updated_at', 'deleted_at'], ['id'])
    .updateEntity(false)
    .execute();
  await recordSlug(manager, profile.profileId, profile.slug, event);
};

const profileSettingsOnly = (profile: ProfileSettings): ProfileSettings => ({
  slug: profile.slug,
  name: profile.name,
  description: profile.description,
  toolPrefix: profile.toolPrefix,
  auth: profile.auth,
  debugLogging: profile.debugLogging,
});

const attach = async (manager: EntityManager, profileId: string, serverId: string, status: 'active' | 'inactive', at: string): Promise<void> => {
  const last = await manager
    .createQueryBuilder(ProfileServerRow, 'link')
    .select('MAX(link.position)', 'position')
    .where('link.profileId = :profileId', { profileId })
    .getRawOne<{ position: number | null }>();
  await manager
    .createQueryBuilder()
    .insert()
    .into(ProfileServerRow)
    .values({ profileId, serverId, status, position: (last?.position ?? 0) + 1, createdAt: at, updatedAt: at })
    .orUpdate(['status', 'updated_at'], ['profile_id', 'server_id'])
    .updateEntity(false)
    .execute();
};

/** The row of a tool's settings, created at the defaults when it does not exist yet. */
const upsertTool = async (manager: EntityManager, key: ToolKey, at: string): Promise<void> => {
  await manager
    .createQueryBuilder()
    .insert()
    .into(ProfileToolRow)
    .values({ ...key, status: 'active', updatedAt: at })
    .orUpdate(['updated_at'], ['profile_id', 'server_id', 'tool_name'])
    .updateEntity(false)
    .execute();
};

const updateTool = async (manager: EntityManager, key: ToolKey, changes: Partial<ProfileToolRow>): Promise<void> => {
  await manager.createQueryBuilder().update(ProfileToolRow).set(changes).where(TOOL_KEY, key).updateEntity(false).execute();
};

const overrideColumns = (override: ToolOverride): Partial<ProfileToolRow> => ({
  overrideName: override.name ?? null,
  overrideTitle: override.title ?? null,
  overrideDescription: override.description ?? null,
  overrideAnnotations: override.annotations === undefined ? null : JSON.stringify(override.annotations),
});

/** A tool back at the default (active, nothing overridden) has no row, as in the domain state. */
const dropIfDefault = async (manager: EntityManager, key: ToolKey): Promise<void> => {
  await manager
    .createQueryBuilder()
    .delete()
    .from(ProfileToolRow)
    .where(`${TOOL_KEY} AND status = 'active' AND override_name IS NULL AND override_title IS NULL AND override_description IS NULL AND override_annotations IS NULL`, key)
    .execute();
};

const clearLinksAndTools = async (manager: EntityManager, profileId: string): Promise<void> => {
  await manager.createQueryBuilder().delete().from(ProfileServerRow).where('profile_id = :profileId', { profileId }).execute();
  await manager.createQueryBuilder().delete().from(ProfileToolRow).where('profile_id = :profileId', { profileId }).execute();
};

const restore = async (manager: EntityManager, snapshot: ProfileSnapshot, event: StoredEvent): Promise<void> => {
  await upsertProfile(manager, snapshot, event);
  await clearLinksAndTools(manager, snapshot.profileId);
  for (const server of snapshot.servers) await attach(manager, snapshot.profileId, server.serverId, server.status, event.recordedAt);
  for (const tool of snapshot.tools) {
    const key = { profileId: snapshot.profileId, serverId: tool.serverId, toolName: tool.toolName };
    await upsertTool(manager, key, event.recordedAt);
    await updateTool(manager, key, { status: tool.status, ...overrideColumns(tool.override) });
  }
};

const touch = async (manager: EntityManager, profileId: string, event: StoredEvent): Promise<void> => {
  await manager
    .createQueryBuilder()
    .update(ProfileRow)
    .set({ version: event.version, updatedAt: event.recordedAt })
    .where('id = :profileId', { profileId })
    .updateEntity(false)
    .execute();
};

/** Every event but a creation or a restore (which write the whole row) changes part of a profile. */
const applyChange = async (domainEvent: Exclude<ProfileEvent, { type: 'ProfileCreated' | 'ProfileRestored' }>, event: StoredEvent, manager: EntityManager): Promise<void> => {
  const at = event.recordedAt;
  switch (domainEvent.type) {
    case 'ProfileUpdated': {
      const { profileId, changes } = domainEvent.data;
      await manager.createQueryBuilder().update(ProfileRow).set(settingColumns(changes)).where('id = :profileId', { profileId }).updateEntity(false).execute();
      if (changes.slug !== undefined) await recordSlug(manager, profileId, changes.slug, event);
      return;
    }
    case 'ProfileDeleted':
      await manager.createQueryBuilder().update(ProfileRow).set({ status: 'deleted', deletedAt: at }).where('id = :profileId', domainEvent.data).updateEntity(false).execute();
      return clearLinksAndTools(manager, domainEvent.data.profileId);
    case 'ServerAttached':
      return attach(manager, domainEvent.data.profileId, domainEvent.data.serverId, domainEvent.data.status, at);
    case 'ServerDetached':
      await manager.createQueryBuilder().delete().from(ProfileServerRow).where('profile_id = :profileId AND server_id = :serverId', domainEvent.data).execute();
      return;
    case 'ServerStatusChanged':
      await manager
        .createQueryBuilder()
        .update(ProfileServerRow)
        .set({ status: domainEvent.data.status, updatedAt: at })
        .where('profile_id = :profileId AND server_id = :serverId', domainEvent.data)
        .updateEntity(false)
        .execute();
      return;
    case 'ToolStatusChanged': {
      const { profileId, serverId, toolName, status } = domainEvent.data;
      const key = { profileId, serverId, toolName };
      await upsertTool(manager, key, at);
      await updateTool(manager, key, { status });
      return dropIfDefault(manager, key);
    }
    case 'ToolOverridden':
    case 'ToolOverrideCleared': {
      const { profileId, serverId, toolName } = domainEvent.data;
      const key = { profileId, serverId, toolName };
      await upsertTool(manager, key, at);
      await updateTool(manager, key, overrideColumns(domainEvent.type === 'ToolOverridden' ? domainEvent.data.override : {}));
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
