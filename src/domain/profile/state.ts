import { DomainError } from '../shared';
import type { ProfileSnapshot } from './events';
import { profileSettingsOf } from './settings';

export type EmptyProfile = Readonly<{ status: 'empty' }>;
/**
 * `servers` are the attached servers; `tools` the tool settings that differ from the default
 * (active, no override), whether or not their server is attached.
 */
export type ActiveProfile = Readonly<ProfileSnapshot & { status: 'active' }>;
/** A deleted profile keeps its last snapshot so that a revert can tell what it restores. */
export type DeletedProfile = Readonly<ProfileSnapshot & { status: 'deleted' }>;
export type ProfileState = EmptyProfile | ActiveProfile | DeletedProfile;

export const initialState = (): ProfileState => ({ status: 'empty' });

export const toProfileSnapshot = (profileId: string, source: ProfileSnapshot): ProfileSnapshot => ({
  profileId,
  ...profileSettingsOf(source),
  servers: source.servers,
  tools: source.tools,
});

/** The profile as configured, or null when it does not exist (never created, or deleted). */
export const snapshotOf = (state: ProfileState): ProfileSnapshot | null =>
  state.status === 'active' ? toProfileSnapshot(state.profileId, state) : null;

export const profileNotFound = (profileId: string): DomainError =>
  new DomainError('PROFILE_NOT_FOUND', `Profile ${profileId} does not exist`, { profileId });

export const profileDeleted = (profileId: string): DomainError =>
  new DomainError('PROFILE_DELETED', `Profile ${profileId} has been deleted`, { profileId });

export const requireActive = (state: ProfileState, profileId: string): ActiveProfile => {
  if (state.status === 'empty') throw profileNotFound(profileId);
  if (state.status === 'deleted') throw profileDeleted(profileId);
  return state;
};
