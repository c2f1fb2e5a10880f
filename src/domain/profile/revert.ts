import { isEmptyObject } from '../shared';
import type { RevertProfile } from './commands';
import type { ProfileEvent, ProfileSnapshot, ToolSetting } from './events';
import { diffProfileSettings } from './settings';
import { type ActiveProfile, type ProfileState, profileNotFound, toProfileSnapshot } from './state';
import { putToolSetting, toolEvents, toolSettingOf } from './tools';

/** The target without links to servers removed since: those cannot come back with the profile. */
const restorable = (
  profileId: string,
  target: ProfileSnapshot,
  removedServerIds: ReadonlySet<string>,
): ProfileSnapshot =>
  toProfileSnapshot(profileId, {
    ...target,
    servers: target.servers.filter((link) => !removedServerIds.has(link.serverId)),
    tools: target.tools.reduce(putToolSetting, []),
  });

const linkEvents = (current: ActiveProfile, target: ProfileSnapshot): ProfileEvent[] => {
  const { profileId } = current;
  const events: ProfileEvent[] = [];
  for (const link of current.servers) {
    if (!target.servers.some((wanted) => wanted.serverId === link.serverId)) {
      events.push({ type: 'ServerDetached', data: { profileId, serverId: link.serverId, reason: 'detached' } });
    }
  }
  for (const link of target.servers) {
    const existing = current.servers.find((server) => server.serverId === link.serverId);
    const data = { profileId, serverId: link.serverId, status: link.status };
    if (existing === undefined) events.push({ type: 'ServerAttached', data });
    else if (existing.status !== link.status) events.push({ type: 'ServerStatusChanged', data });
  }
  return events;
};

const toolSettingEvents = (current: ActiveProfile, target: ProfileSnapshot): ProfileEvent[] => {
  const keys: ToolSetting[] = [...target.tools, ...current.tools];
  const seen = new Set<string>();
  return keys.flatMap((key) => {
    const id = JSON.stringify([key.serverId, key.toolName]);
    if (seen.has(id)) return [];
    seen.add(id);
    return toolEvents(current.profileId, toolSettingOf(current.tools, key), toolSettingOf(target.tools, key));
  });
};

/** The events that take an active profile to the target: settings, then links, then tool settings. */
const diffEvents = (current: ActiveProfile, target: ProfileSnapshot): ProfileEvent[] => {
  const changes = diffProfileSettings(current, target);
  const settingsEvents: ProfileEvent[] = isEmptyObject(changes)
    ? []
    : [{ type: 'ProfileUpdated', data: { profileId: current.profileId, changes } }];
  return [
    ...settingsEvents,
    ...linkEvents(current, target),
    ...toolSettingEvents(current, target),
  ];
};

/** A past state is brought back as it was; it was valid when it was recorded. */
export const revertProfile = ({ data }: RevertProfile, state: ProfileState): ProfileEvent[] => {
  const { profileId, target } = data;
  const removedServerIds = new Set(data.removedServerIds);
  switch (state.status) {
    case 'empty':
      throw profileNotFound(profileId);
    case 'deleted':
      return target === null
        ? []
        : [{ type: 'ProfileRestored', data: restorable(profileId, target, removedServerIds) }];
    case 'active':
      return target === null
        ? [{ type: 'ProfileDeleted', data: { profileId, slug: state.slug } }]
        : diffEvents(state, restorable(profileId, target, removedServerIds));
  }
};
