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

/** The profile that had this slug at `position`, as it was then (server names as they were then too). */
export const profileAt = async (store: EventStore, sql: Sql, slug: string, position: number): Promise<ProfileView | null> => {
  for (const profileId of candidateIds(sql, slug, position)) {
    const { state, version } = await loadStateAt(store, profile.profileDecider, profile.profileStreamId(profileId), position);
    const snapshot = profile.snapshotOf(state);
    if (snapshot === null || snapshot.slug !== slug) continue;
    const names = new Map<string, string>();
    for (const link of snapshot.servers) {
      const past = await loadStateAt(store, server.serverDecider, server.serverStreamId(link.serverId), position);
      if (past.state.status !== 'empty') names.set(link.serverId, past.state.name);
    }
    return snapshotToProfileView(snapshot, names, version);
  }
  return null;
};
