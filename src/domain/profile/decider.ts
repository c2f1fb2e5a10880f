import { type Decider, DomainError, assertNever, isEmptyObject, withoutUndefined } from '../shared';
import type {
  CreateProfile,
  DeleteProfile,
  DetachServer,
  ProfileCommand,
  SetServerLink,
  UpdateProfile,
} from './commands';
import { LINK_STATUSES, type ProfileEvent } from './events';
import { evolve } from './evolve';
import { cloneProfile } from './clone';
import { revertProfile } from './revert';
import { assertValidProfileSettings, diffProfileSettings, profileSettingsOf } from './settings';
import { type ProfileState, initialState, profileDeleted, profileNotFound, requireActive } from './state';
import { setTool } from './tools';

export type { ActiveProfile, DeletedProfile, EmptyProfile, ProfileState } from './state';
export { evolve, initialState };
export { snapshotOf } from './state';

const createProfile = ({ data }: CreateProfile, state: ProfileState): ProfileEvent[] => {
  const settings = profileSettingsOf(data.settings);
  assertValidProfileSettings(settings);
  switch (state.status) {
    case 'empty':
      return [{ type: 'ProfileCreated', data: { profileId: data.profileId, ...settings } }];
    case 'active':
      if (isEmptyObject(diffProfileSettings(state, settings))) return [];
      throw new DomainError('PROFILE_ALREADY_EXISTS', `Profile ${data.profileId} already exists with other settings`, {
        profileId: data.profileId,
      });
    case 'deleted':
      throw profileDeleted(data.profileId);
  }
};

const updateProfile = ({ data }: UpdateProfile, state: ProfileState): ProfileEvent[] => {
  const profile = requireActive(state, data.profileId);
  const settings = profileSettingsOf({ ...profileSettingsOf(profile), ...withoutUndefined(data.changes) });
  assertValidProfileSettings(settings);
  const changes = diffProfileSettings(profile, settings);
  return isEmptyObject(changes) ? [] : [{ type: 'ProfileUpdated', data: { profileId: data.profileId, changes } }];
};

const deleteProfile = ({ data }: DeleteProfile, state: ProfileState): ProfileEvent[] => {
  switch (state.status) {
    case 'empty':
      throw profileNotFound(data.profileId);
    case 'active':
      return [{ type: 'ProfileDeleted', data: { profileId: data.profileId, slug: state.slug } }];
    case 'deleted':
      return [];
  }
};

const setServerLink = ({ data }: SetServerLink, state: ProfileState): ProfileEvent[] => {
  const profile = requireActive(state, data.profileId);
  const { profileId, serverId, status } = data;
  if (!LINK_STATUSES.includes(status)) {
    throw new DomainError('INVALID_ARGUMENT', `status must be one of ${LINK_STATUSES.join(', ')}`, { field: 'status' });
  }
  if (data.serverRemoved) {
    throw new DomainError('SERVER_REMOVED', `Server ${serverId} has been removed and cannot be attached`, { serverId });
  }
  const link = profile.servers.find((server) => server.serverId === serverId);
  if (link === undefined) return [{ type: 'ServerAttached', data: { profileId, serverId, status } }];
  return link.status === status ? [] : [{ type: 'ServerStatusChanged', data: { profileId, serverId, status } }];
};

/**
 * Detaching keeps the profile's tool settings for that server: they are the user's choices about
 * those tools, they expose nothing while the server is detached, and they apply again when it is
 * re-attached (or restored by a revert), just as settings made before attaching do.
 */
const detachServer = ({ data }: DetachServer, state: ProfileState): ProfileEvent[] => {
  const { profileId, serverId, reason } = data;
  const cleanUp = reason === 'server_removed';
  if (cleanUp && state.status !== 'active') return [];
  const profile = requireActive(state, profileId);
  if (profile.servers.some((server) => server.serverId === serverId)) {
    return [{ type: 'ServerDetached', data: { profileId, serverId, reason } }];
  }
  if (cleanUp) return [];
  throw new DomainError('SERVER_NOT_ATTACHED', `Server ${serverId} is not attached to profile ${profileId}`, {
    profileId,
    serverId,
  });
};

export const decide = (command: ProfileCommand, state: ProfileState): ProfileEvent[] => {
  switch (command.type) {
    case 'CreateProfile':
      return createProfile(command, state);
    case 'UpdateProfile':
      return updateProfile(command, state);
    case 'DeleteProfile':
      return deleteProfile(command, state);
    case 'SetServerLink':
      return setServerLink(command, state);
    case 'DetachServer':
      return detachServer(command, state);
    case 'SetTool':
      return setTool(command, state);
    case 'RevertProfile':
      return revertProfile(command, state);
    case 'CloneProfile':
      return cloneProfile(command, state);
    default:
      return assertNever(command);
  }
};

export const profileDecider: Decider<ProfileState, ProfileCommand, ProfileEvent> = { decide, evolve, initialState };
