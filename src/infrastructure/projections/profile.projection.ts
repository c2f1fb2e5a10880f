import type { ProfileEvent, ProfileSettings, ProfileSnapshot, ToolOverride } from '../../domain/profile/events';
import { PROFILE_EVENT_TYPES } from '../../domain/profile/events';
import type { InlineProjection, Sql, SqlValue, StoredEvent } from '../eventstore';
import { bool, json } from '../eventstore';
import { guardUnique } from './unique';

const SETTING_COLUMNS: Record<keyof ProfileSettings, (value: never) => [string, SqlValue][]> = {
  slug: (value: string) => [['slug', value]],
  name: (value: string) => [['name', value]],
  description: (value: string | null) => [['description', value]],
  toolPrefix: (value: string) => [['tool_prefix', value]],
  auth: (value: ProfileSettings['auth']) => [['auth_api_key', bool(value.apiKey)], ['auth_query_param', bool(value.queryParam)]],
  debugLogging: (value: boolean) => [['debug_logging', bool(value)]],
};

const slugTaken = (slug: string): string => `A profile with slug "${slug}" already exists`;

const upsertProfile = (sql: Sql, profile: ProfileSettings & { profileId: string }, event: StoredEvent): void => {
  guardUnique(
    () =>
      sql.run(
        `INSERT INTO profiles (id, slug, name, description, tool_prefix, auth_api_key, auth_query_param, debug_logging,
           status, version, created_at, updated_at, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, NULL)
         ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name, description = excluded.description,
           tool_prefix = excluded.tool_prefix, auth_api_key = excluded.auth_api_key,
           auth_query_param = excluded.auth_query_param, debug_logging = excluded.debug_logging, status = 'active',
           version = excluded.version, updated_at = excluded.updated_at, deleted_at = NULL`,
        profile.profileId, profile.slug, profile.name, profile.description, profile.toolPrefix,
        bool(profile.auth.apiKey), bool(profile.auth.queryParam), bool(profile.debugLogging),
        event.version, event.recordedAt, event.recordedAt,
      ),
    'PROFILE_SLUG_TAKEN',
    slugTaken(profile.slug),
  );
};

const attach = (sql: Sql, profileId: string, serverId: string, status: string, at: string): void => {
  const next = sql.get<{ next: number }>('SELECT COALESCE(MAX(position), 0) + 1 AS next FROM profile_servers WHERE profile_id = ?', profileId);
  sql.run(
    `INSERT INTO profile_servers (profile_id, server_id, status, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (profile_id, server_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
    profileId, serverId, status, next?.next ?? 1, at, at,
  );
};

const upsertTool = (sql: Sql, profileId: string, serverId: string, toolName: string, at: string): void => {
  sql.run(
    `INSERT INTO profile_tools (profile_id, server_id, tool_name, status, updated_at) VALUES (?, ?, ?, 'active', ?)
     ON CONFLICT (profile_id, server_id, tool_name) DO UPDATE SET updated_at = excluded.updated_at`,
    profileId, serverId, toolName, at,
  );
};

const setOverride = (sql: Sql, key: [string, string, string], override: ToolOverride): void => {
  sql.run(
    `UPDATE profile_tools SET override_name = ?, override_title = ?, override_description = ?, override_annotations = ?
     WHERE profile_id = ? AND server_id = ? AND tool_name = ?`,
    override.name ?? null, override.title ?? null, override.description ?? null,
    override.annotations === undefined ? null : json(override.annotations), ...key,
  );
};

/** A tool back at the default (active, nothing overridden) has no row, as in the domain state. */
const dropIfDefault = (sql: Sql, profileId: string, serverId: string, toolName: string): void => {
  sql.run(
    `DELETE FROM profile_tools WHERE profile_id = ? AND server_id = ? AND tool_name = ? AND status = 'active'
       AND override_name IS NULL AND override_title IS NULL AND override_description IS NULL AND override_annotations IS NULL`,
    profileId, serverId, toolName,
  );
};

const restore = (sql: Sql, snapshot: ProfileSnapshot, event: StoredEvent): void => {
  upsertProfile(sql, snapshot, event);
  sql.run('DELETE FROM profile_servers WHERE profile_id = ?', snapshot.profileId);
  sql.run('DELETE FROM profile_tools WHERE profile_id = ?', snapshot.profileId);
  for (const server of snapshot.servers) attach(sql, snapshot.profileId, server.serverId, server.status, event.recordedAt);
  for (const tool of snapshot.tools) {
    upsertTool(sql, snapshot.profileId, tool.serverId, tool.toolName, event.recordedAt);
    sql.run('UPDATE profile_tools SET status = ? WHERE profile_id = ? AND server_id = ? AND tool_name = ?', tool.status, snapshot.profileId, tool.serverId, tool.toolName);
    setOverride(sql, [snapshot.profileId, tool.serverId, tool.toolName], tool.override);
  }
};

const applyProfileEvent = (event: StoredEvent, sql: Sql): void => {
  const domainEvent = { type: event.type, data: event.data } as ProfileEvent;
  const at = event.recordedAt;
  switch (domainEvent.type) {
    case 'ProfileCreated':
      upsertProfile(sql, domainEvent.data, event);
      return;
    case 'ProfileRestored':
      restore(sql, domainEvent.data, event);
      return;
    case 'ProfileUpdated': {
      const { profileId, changes } = domainEvent.data;
      for (const [field, value] of Object.entries(changes)) {
        for (const [column, sqlValue] of SETTING_COLUMNS[field as keyof ProfileSettings](value as never)) {
          guardUnique(() => sql.run(`UPDATE profiles SET ${column} = ? WHERE id = ?`, sqlValue, profileId), 'PROFILE_SLUG_TAKEN', slugTaken(String(sqlValue)));
        }
      }
      break;
    }
    case 'ProfileDeleted':
      sql.run(`UPDATE profiles SET status = 'deleted', deleted_at = ? WHERE id = ?`, at, domainEvent.data.profileId);
      sql.run('DELETE FROM profile_servers WHERE profile_id = ?', domainEvent.data.profileId);
      sql.run('DELETE FROM profile_tools WHERE profile_id = ?', domainEvent.data.profileId);
      break;
    case 'ServerAttached':
      attach(sql, domainEvent.data.profileId, domainEvent.data.serverId, domainEvent.data.status, at);
      break;
    case 'ServerDetached':
      sql.run('DELETE FROM profile_servers WHERE profile_id = ? AND server_id = ?', domainEvent.data.profileId, domainEvent.data.serverId);
      break;
    case 'ServerStatusChanged':
      sql.run(
        'UPDATE profile_servers SET status = ?, updated_at = ? WHERE profile_id = ? AND server_id = ?',
        domainEvent.data.status, at, domainEvent.data.profileId, domainEvent.data.serverId,
      );
      break;
    case 'ToolStatusChanged': {
      const { profileId, serverId, toolName, status } = domainEvent.data;
      upsertTool(sql, profileId, serverId, toolName, at);
      sql.run('UPDATE profile_tools SET status = ? WHERE profile_id = ? AND server_id = ? AND tool_name = ?', status, profileId, serverId, toolName);
      dropIfDefault(sql, profileId, serverId, toolName);
      break;
    }
    case 'ToolOverridden':
    case 'ToolOverrideCleared': {
      const { profileId, serverId, toolName } = domainEvent.data;
      upsertTool(sql, profileId, serverId, toolName, at);
      setOverride(sql, [profileId, serverId, toolName], domainEvent.type === 'ToolOverridden' ? domainEvent.data.override : {});
      dropIfDefault(sql, profileId, serverId, toolName);
      break;
    }
  }
  sql.run('UPDATE profiles SET version = ?, updated_at = ? WHERE id = ?', event.version, at, domainEvent.data.profileId);
};

export const profileProjection: InlineProjection = {
  name: 'profiles',
  eventTypes: new Set<string>(PROFILE_EVENT_TYPES),
  tables: ['profile_tools', 'profile_servers', 'profiles'],
  apply: applyProfileEvent,
};
