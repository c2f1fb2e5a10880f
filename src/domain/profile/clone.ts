import { DomainError } from '../shared';
import type { CloneProfile } from './commands';
import type { ProfileEvent } from './events';
import { assertValidProfileSettings, profileSettingsOf } from './settings';
import { type ProfileState, profileDeleted } from './state';
import { toolEvents, toolSettingOf } from './tools';

/**
 * A new profile with the source's settings (under its own slug and name), its server links and
 * its tool settings, told with the events any profile is built from: created, attached, tool
 * status and overrides. The clone then lives its own life; nothing links it to the source.
 */
export const cloneProfile = ({ data }: CloneProfile, state: ProfileState): ProfileEvent[] => {
  const { profileId, source } = data;
  const settings = profileSettingsOf({ ...source, slug: data.slug, name: data.name ?? data.slug, description: data.description === undefined ? source.description : data.description });
  assertValidProfileSettings(settings);
  switch (state.status) {
    case 'active':
      throw new DomainError('PROFILE_ALREADY_EXISTS', `Profile ${profileId} already exists`, { profileId });
    case 'deleted':
      throw profileDeleted(profileId);
    case 'empty':
      return [
        { type: 'ProfileCreated', data: { profileId, ...settings } },
        ...source.servers.map((link): ProfileEvent => ({ type: 'ServerAttached', data: { profileId, serverId: link.serverId, status: link.status } })),
        ...source.tools.flatMap((tool) => toolEvents(profileId, toolSettingOf([], tool), tool)),
      ];
  }
};
