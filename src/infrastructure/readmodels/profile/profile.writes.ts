import type { ProfileEvent, ProfileSettings, ProfileSnapshot, ToolOverride } from '../../../domain/profile/events';
import { authModeOf, profileSettingsOf } from '../../../domain/profile/settings';
import { assertNever } from '../../../domain/shared';
import type { StoredEvent } from '../../eventstore';
import type { ProfileRow, ProfileToolRow } from './profile.entities';

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

export type ToolKey = Readonly<{ profileId: string; serverId: string; toolName: string }>;
/** A profile's whole row as a creation or restore writes it (status active, not deleted). */
export type ProfileValues = Omit<ProfileRow, 'status' | 'deletedAt'>;
export type Overrides = Pick<ProfileToolRow, 'overrideName' | 'overrideTitle' | 'overrideDescription' | 'overrideAnnotations'>;

/**
 * The changes the profile projection makes to its tables, one method a statement: run as SQL
 * inline (profile.projection.ts) and, during a rebuild, on rows kept in memory and written at
 * the end (profile.replay.ts). Both must leave the same rows; the read-model contract checks it.
 */
export interface ProfileWrites {
  /** Insert-or-ignore: `profileId` took `slug` at `position`. */
  recordSlug(slug: string, profileId: string, position: number): Promise<void>;
  /** Insert, or update every column but `created_at` (status active, not deleted). */
  upsertProfile(values: ProfileValues): Promise<void>;
  /** Updates these columns of the profile, if it exists. */
  updateProfile(profileId: string, columns: Partial<ProfileRow>): Promise<void>;
  markDeleted(profileId: string, at: string): Promise<void>;
  touch(profileId: string, version: number, at: string): Promise<void>;
  /** A new link goes after the profile's last one; an existing one keeps its place and takes the status. */
  upsertLink(profileId: string, serverId: string, status: 'active' | 'inactive', at: string): Promise<void>;
  deleteLink(profileId: string, serverId: string): Promise<void>;
  setLinkStatus(profileId: string, serverId: string, status: 'active' | 'inactive', at: string): Promise<void>;
  clearLinksAndTools(profileId: string): Promise<void>;
  /** A tool's status on its row of settings (created with no overrides otherwise). */
  upsertToolStatus(key: ToolKey, status: 'active' | 'inactive', at: string): Promise<void>;
  /** A tool's overrides on its row of settings (created active otherwise). */
  upsertToolOverrides(key: ToolKey, overrides: Overrides, at: string): Promise<void>;
  /** A tool back at the default (active, nothing overridden) has no row, as in the domain state. */
  dropIfDefault(key: ToolKey): Promise<void>;
}

const upsertProfile = async (writes: ProfileWrites, profile: ProfileSettings & { profileId: string }, event: StoredEvent): Promise<void> => {
  const settings = settingColumns(profileSettingsOf(profile)) as Required<Pick<ProfileRow, 'slug' | 'name' | 'description' | 'toolPrefix' | 'toolExposure' | 'adaptiveToolLimit' | 'authApiKey' | 'authQueryParam' | 'authMode' | 'debugLogging'>>;
  await writes.upsertProfile({ id: profile.profileId, ...settings, version: event.version, createdAt: event.recordedAt, updatedAt: event.recordedAt });
  await writes.recordSlug(profile.slug, profile.profileId, event.position);
};

const overrideColumns = (override: ToolOverride): Overrides => ({
  overrideName: override.name ?? null,
  overrideTitle: override.title ?? null,
  overrideDescription: override.description ?? null,
  overrideAnnotations: override.annotations === undefined ? null : JSON.stringify(override.annotations),
});

const restore = async (writes: ProfileWrites, snapshot: ProfileSnapshot, event: StoredEvent): Promise<void> => {
  await upsertProfile(writes, snapshot, event);
  await writes.clearLinksAndTools(snapshot.profileId);
  for (const server of snapshot.servers) await writes.upsertLink(snapshot.profileId, server.serverId, server.status, event.recordedAt);
  for (const tool of snapshot.tools) {
    const key = { profileId: snapshot.profileId, serverId: tool.serverId, toolName: tool.toolName };
    await writes.upsertToolStatus(key, tool.status, event.recordedAt);
    await writes.upsertToolOverrides(key, overrideColumns(tool.override), event.recordedAt);
  }
};

/** Every event but a creation or a restore (which write the whole row) changes part of a profile. */
const applyChange = async (writes: ProfileWrites, domainEvent: Exclude<ProfileEvent, { type: 'ProfileCreated' | 'ProfileRestored' }>, event: StoredEvent): Promise<void> => {
  const at = event.recordedAt;
  switch (domainEvent.type) {
    case 'ProfileUpdated': {
      const { profileId, changes } = domainEvent.data;
      await writes.updateProfile(profileId, settingColumns(changes));
      if (changes.slug !== undefined) await writes.recordSlug(changes.slug, profileId, event.position);
      return;
    }
    case 'ProfileDeleted':
      await writes.markDeleted(domainEvent.data.profileId, at);
      return writes.clearLinksAndTools(domainEvent.data.profileId);
    case 'ServerAttached':
      return writes.upsertLink(domainEvent.data.profileId, domainEvent.data.serverId, domainEvent.data.status, at);
    case 'ServerDetached':
      return writes.deleteLink(domainEvent.data.profileId, domainEvent.data.serverId);
    case 'ServerStatusChanged':
      return writes.setLinkStatus(domainEvent.data.profileId, domainEvent.data.serverId, domainEvent.data.status, at);
    case 'ToolStatusChanged': {
      const { profileId, serverId, toolName, status } = domainEvent.data;
      const key = { profileId, serverId, toolName };
      await writes.upsertToolStatus(key, status, at);
      return writes.dropIfDefault(key);
    }
    case 'ToolOverridden':
    case 'ToolOverrideCleared': {
      const { profileId, serverId, toolName } = domainEvent.data;
      const key = { profileId, serverId, toolName };
      await writes.upsertToolOverrides(key, overrideColumns(domainEvent.type === 'ToolOverridden' ? domainEvent.data.override : {}), at);
      return writes.dropIfDefault(key);
    }
    default:
      return assertNever(domainEvent);
  }
};

/** What one profile event changes in `profiles`, `profile_servers`, `profile_tools` and `profile_slugs`. */
export const applyProfileEvent = async (writes: ProfileWrites, event: StoredEvent): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as ProfileEvent;
  switch (domainEvent.type) {
    case 'ProfileCreated':
      return upsertProfile(writes, domainEvent.data, event);
    case 'ProfileRestored':
      return restore(writes, domainEvent.data, event);
    default:
      await applyChange(writes, domainEvent, event);
      return writes.touch(domainEvent.data.profileId, event.version, event.recordedAt);
  }
};
