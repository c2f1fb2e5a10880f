import * as profile from '../../domain/profile';
import * as server from '../../domain/server';
import { loadStateAt } from '../commands/handle-command';
import type { EventStore, Sql } from '../eventstore';
import { snapshotToProfileView, type ProfileView } from './profile.queries';

/** Profile ids that carried this slug at some point up to `position`, most recent first. */
const candidateIds = (sql: Sql, slug: string, position: number): string[] =>
  sql
    .all<{ stream_id: string }>(
      `SELECT stream_id, MAX(position) AS last FROM events
       WHERE type IN ('ProfileCreated', 'ProfileRestored', 'ProfileUpdated') AND position <= ?
         AND (json_extract(data, '$.slug') = ? OR json_extract(data, '$.changes.slug') = ?)
       GROUP BY stream_id ORDER BY last DESC`,
      position, slug, slug,
    )
    .map((row) => row.stream_id.slice('profile-'.length));

/**
 * Profiles whose slug is this one now (active first, then the most recently deleted): nearly
 * always the answer, and found without reading the log.
 */
const currentHolderIds = (sql: Sql, slug: string): string[] =>
  sql
    .all<{ id: string }>(`SELECT id FROM profiles WHERE slug = ? ORDER BY status = 'active' DESC, updated_at DESC`, slug)
    .map((row) => row.id);

/** The profile as it was at `position` if it carried `slug` then (server names as they were then too). */
const viewAt = async (store: EventStore, profileId: string, slug: string, position: number): Promise<ProfileView | null> => {
  const { state, version } = await loadStateAt(store, profile.profileDecider, profile.profileStreamId(profileId), position);
  const snapshot = profile.snapshotOf(state);
  if (snapshot === null || snapshot.slug !== slug) return null;
  const names = new Map<string, string>();
  for (const link of snapshot.servers) {
    const past = await loadStateAt(store, server.serverDecider, server.serverStreamId(link.serverId), position);
    if (past.state.status !== 'empty') names.set(link.serverId, past.state.name);
  }
  return snapshotToProfileView(snapshot, names, version);
};

/**
 * The profile that had this slug at `position`. Active slugs are unique at every moment, so the
 * first profile whose state then carries the slug is the one. The profiles holding the slug now
 * are tried first; the scan of the log (the cost of a request on a long log) is only needed when
 * the slug has moved since.
 */
export const profileAt = async (store: EventStore, sql: Sql, slug: string, position: number): Promise<ProfileView | null> => {
  const tried = new Set<string>();
  for (const profileId of currentHolderIds(sql, slug)) {
    tried.add(profileId);
    const view = await viewAt(store, profileId, slug, position);
    if (view !== null) return view;
  }
  for (const profileId of candidateIds(sql, slug, position)) {
    if (tried.has(profileId)) continue;
    const view = await viewAt(store, profileId, slug, position);
    if (view !== null) return view;
  }
  return null;
};
