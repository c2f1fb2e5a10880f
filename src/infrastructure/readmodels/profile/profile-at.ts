import * as profile from '../../../domain/profile';
import * as server from '../../../domain/server';
import { loadState, type EventLog } from '../../eventstore';
import { snapshotToProfileView, type ProfileReadModel, type ProfileView } from './profile.queries';

/** The profile as it was at `position` if it carried `slug` then (server names as they were then too). */
const viewAt = async (log: EventLog, profileId: string, slug: string, position: number): Promise<ProfileView | null> => {
  const { state, version } = await loadState(log, profile.profileDecider, profile.profileStreamId(profileId), position);
  const snapshot = profile.snapshotOf(state);
  if (snapshot === null || snapshot.slug !== slug) return null;
  const names = new Map<string, string>();
  for (const link of snapshot.servers) {
    const past = await loadState(log, server.serverDecider, server.serverStreamId(link.serverId), position);
    if (past.state.status !== 'empty') names.set(link.serverId, past.state.name);
  }
  return snapshotToProfileView(snapshot, names, version);
};

/**
 * The profile that had this slug at `position`. Active slugs are unique at every moment, so the
 * first profile whose state then carries the slug is the one. The profiles holding the slug now
 * are tried first (nearly always the answer); the slug history is only needed when the slug has
 * moved since.
 */
export const profileAt = async (log: EventLog, profiles: ProfileReadModel, slug: string, position: number): Promise<ProfileView | null> => {
  const tried = new Set<string>();
  for (const profileId of await profiles.currentHoldersOf(slug)) {
    tried.add(profileId);
    const view = await viewAt(log, profileId, slug, position);
    if (view !== null) return view;
  }
  for (const profileId of await profiles.pastHoldersOf(slug, position)) {
    if (tried.has(profileId)) continue;
    const view = await viewAt(log, profileId, slug, position);
    if (view !== null) return view;
  }
  return null;
};
