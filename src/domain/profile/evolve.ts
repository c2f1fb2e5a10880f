import { withoutUndefined } from '../shared';
import type { AttachedServer, ProfileEvent, ToolSetting } from './events';
import { profileSettingsOf } from './settings';
import { type ActiveProfile, type ProfileState, toProfileSnapshot } from './state';
import { putToolSetting, toolSettingOf } from './tools';

const putLink = (servers: readonly AttachedServer[], link: AttachedServer): readonly AttachedServer[] =>
  servers.some((server) => server.serverId === link.serverId)
    ? servers.map((server) => (server.serverId === link.serverId ? link : server))
    : [...servers, link];

const linkOf = ({ serverId, status }: AttachedServer): AttachedServer => ({ serverId, status });

/** Tool settings as a fold of put operations, so that defaults are dropped however they arrive. */
const normalizeTools = (tools: readonly ToolSetting[]): readonly ToolSetting[] => tools.reduce(putToolSetting, []);

const updateTool = (
  profile: ActiveProfile,
  key: Readonly<{ serverId: string; toolName: string }>,
  change: Partial<ToolSetting>,
): ActiveProfile => ({
  ...profile,
  tools: putToolSetting(profile.tools, { ...toolSettingOf(profile.tools, key), ...change }),
});

/** Changes of an active profile; events that do not apply to the state leave it unchanged. */
const evolveActive = (profile: ActiveProfile, event: ProfileEvent): ProfileState => {
  switch (event.type) {
    case 'ProfileUpdated': {
      const changes = withoutUndefined(event.data.changes);
      return { ...profile, ...profileSettingsOf({ ...profileSettingsOf(profile), ...changes }) };
    }
    case 'ProfileDeleted':
      return { ...profile, status: 'deleted' };
    case 'ServerAttached':
      return { ...profile, servers: putLink(profile.servers, linkOf(event.data)) };
    case 'ServerStatusChanged':
      return profile.servers.some((server) => server.serverId === event.data.serverId)
        ? { ...profile, servers: putLink(profile.servers, linkOf(event.data)) }
        : profile;
    case 'ServerDetached':
      return { ...profile, servers: profile.servers.filter((server) => server.serverId !== event.data.serverId) };
    case 'ToolStatusChanged':
      return updateTool(profile, event.data, { status: event.data.status });
    case 'ToolOverridden':
      return updateTool(profile, event.data, { override: event.data.override });
    case 'ToolOverrideCleared':
      return updateTool(profile, event.data, { override: {} });
    default:
      return profile;
  }
};

export const evolve = (state: ProfileState, event: ProfileEvent): ProfileState => {
  switch (event.type) {
    case 'ProfileCreated':
      return { status: 'active', ...toProfileSnapshot(event.data.profileId, { ...event.data, servers: [], tools: [] }) };
    case 'ProfileRestored':
      return {
        status: 'active',
        ...toProfileSnapshot(event.data.profileId, {
          ...event.data,
          servers: event.data.servers.map(linkOf),
          tools: normalizeTools(event.data.tools),
        }),
      };
    default:
      return state.status === 'active' ? evolveActive(state, event) : state;
  }
};
