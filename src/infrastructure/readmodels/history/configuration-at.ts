import * as profile from '../../../domain/profile';
import * as server from '../../../domain/server';
import { loadState, type EventLog } from '../../eventstore';
import { snapshotToView } from '../server/server.view';

/** Which part of the configuration a document covers. */
export type ConfigScope = Readonly<{ kind: 'all' }> | Readonly<{ kind: 'profile'; profileId: string }> | Readonly<{ kind: 'server'; serverId: string }>;

/**
 * The configuration as it was at a position, as a plain document made for reading and diffing:
 * profiles by slug (settings, servers by name with their link status, tool settings by
 * `server/tool`), servers by name (secrets masked, as the API shows them). Names are the ones
 * they had then.
 */
export type ConfigurationDocument = {
  profiles: Record<string, Record<string, unknown>>;
  servers: Record<string, Record<string, unknown>>;
};

const serverNameAt = async (log: EventLog, serverId: string, position: number, names: Map<string, string>): Promise<string> => {
  const known = names.get(serverId);
  if (known !== undefined) return known;
  const { state } = await loadState(log, server.serverDecider, server.serverStreamId(serverId), position);
  const name = state.status === 'empty' ? serverId : state.name;
  names.set(serverId, name);
  return name;
};

const profileDocument = async (log: EventLog, profileId: string, position: number, names: Map<string, string>) => {
  const { state } = await loadState(log, profile.profileDecider, profile.profileStreamId(profileId), position);
  const snapshot = profile.snapshotOf(state);
  if (snapshot === null) return null;
  const { profileId: _id, servers, tools, ...settings } = snapshot;
  const serverLinks: Record<string, string> = {};
  for (const link of servers) serverLinks[await serverNameAt(log, link.serverId, position, names)] = link.status;
  const toolSettings: Record<string, unknown> = {};
  for (const tool of tools) toolSettings[`${await serverNameAt(log, tool.serverId, position, names)}/${tool.toolName}`] = { status: tool.status, override: tool.override };
  return { slug: snapshot.slug, document: { ...settings, servers: serverLinks, tools: toolSettings } };
};

const serverDocument = async (log: EventLog, serverId: string, position: number) => {
  const { state, version } = await loadState(log, server.serverDecider, server.serverStreamId(serverId), position);
  const snapshot = server.snapshotOf(state);
  if (snapshot === null) return null;
  const { id: _id, version: _version, ...view } = snapshotToView(snapshot, 'active', version) as Record<string, unknown>;
  return { name: snapshot.name, document: view };
};

/** The streams that ever existed up to `position` (creations; a restore reuses its stream). */
const streamsUpTo = async (log: EventLog, position: number, type: 'ProfileCreated' | 'ServerRegistered'): Promise<string[]> =>
  [...new Set((await log.readAll({ upTo: position, types: [type] })).map((event) => event.streamId))];

export const configurationAt = async (log: EventLog, position: number, scope: ConfigScope): Promise<ConfigurationDocument> => {
  const result: ConfigurationDocument = { profiles: {}, servers: {} };
  const names = new Map<string, string>();
  const profileIds = scope.kind === 'profile' ? [scope.profileId] : scope.kind === 'all' ? (await streamsUpTo(log, position, 'ProfileCreated')).map((id) => id.slice('profile-'.length)) : [];
  const serverIds = scope.kind === 'server' ? [scope.serverId] : scope.kind === 'all' ? (await streamsUpTo(log, position, 'ServerRegistered')).map((id) => id.slice('server-'.length)) : [];
  for (const profileId of profileIds) {
    const found = await profileDocument(log, profileId, position, names);
    if (found !== null) result.profiles[found.slug] = found.document;
  }
  for (const serverId of serverIds) {
    const found = await serverDocument(log, serverId, position);
    if (found !== null) result.servers[found.name] = found.document;
  }
  return result;
};
