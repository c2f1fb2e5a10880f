import type { StoredEvent } from '../eventstore';
import type { ListKinds } from './session-registry';

export type ConfigImpact = Readonly<{
  /** Profiles whose exposed lists may have changed, and which lists. */
  profiles: ReadonlyMap<string, ListKinds>;
  /** Servers whose sessions must see every list change (reconfigured, renamed, removed). */
  servers: ReadonlyMap<string, ListKinds>;
  /** Servers whose upstream connection must be re-read (reconfigured) or dropped (removed). */
  reconnect: readonly string[];
  removed: readonly string[];
  /** Servers a profile stopped using: their process ends when no profile uses them any more. */
  maybeUnused: readonly string[];
  revokedKeys: readonly string[];
  /**
   * Servers that got OAuth tokens. A live or connecting connection picks them up at its next
   * request; one waiting out a backoff after a 401 is replaced, so the next call connects.
   */
  authorized: readonly string[];
}>;

/**
 * Whose own upstream connections an event closes: of one per-user server when the user set or
 * removed their credentials for it, or got or lost their grant (the next call connects with the
 * new ones, or is told it has none); of every server when they were disabled. A refresh is not
 * here: the token source reads the new token.
 */
export const userReleaseOf = (event: StoredEvent): Readonly<{ userId: string; serverId?: string }> | null => {
  const data = event.data as { serverId?: string; userId?: string };
  switch (event.type) {
    case 'UserCredentialsSet':
    case 'UserCredentialsRemoved':
    case 'UserOAuthTokensGranted':
    case 'UserOAuthTokensRevoked':
      return { userId: data.userId as string, serverId: data.serverId as string };
    case 'UserDisabled':
      return { userId: data.userId as string };
    default:
      return null;
  }
};

const ALL: ListKinds = { tools: true, prompts: true, resources: true };
const TOOLS: ListKinds = { tools: true };
const NAMES: ListKinds = { tools: true, prompts: true };

const profileKinds: Record<string, ListKinds> = {
  ProfileUpdated: NAMES,
  ProfileDeleted: ALL,
  ProfileRestored: ALL,
  ServerAttached: ALL,
  ServerDetached: ALL,
  ServerStatusChanged: ALL,
  ToolStatusChanged: TOOLS,
  ToolOverridden: TOOLS,
  ToolOverrideCleared: TOOLS,
};

const merge = (map: Map<string, ListKinds>, id: string, kinds: ListKinds): void => {
  const previous = map.get(id) ?? {};
  map.set(id, { tools: previous.tools || kinds.tools, prompts: previous.prompts || kinds.prompts, resources: previous.resources || kinds.resources });
};

/**
 * What a batch of committed configuration events means for the live proxy. Pure, so that the
 * mapping from events to effects is tested without sessions. ServerToolsDiscovered changes
 * nothing here: the upstream's own list_changed already told the sessions.
 */
export const impactOf = (events: readonly StoredEvent[]): ConfigImpact => {
  const profiles = new Map<string, ListKinds>();
  const servers = new Map<string, ListKinds>();
  const reconnect: string[] = [];
  const removed: string[] = [];
  const maybeUnused: string[] = [];
  const revokedKeys: string[] = [];
  const authorized: string[] = [];
  for (const event of events) {
    const data = event.data as { profileId?: string; serverId?: string; keyId?: string; status?: string; userId?: string };
    const kinds = profileKinds[event.type];
    if (kinds && data.profileId) {
      merge(profiles, data.profileId, kinds);
      if (data.serverId && (event.type === 'ServerDetached' || (event.type === 'ServerStatusChanged' && data.status === 'inactive'))) maybeUnused.push(data.serverId);
      continue;
    }
    switch (event.type) {
      case 'ServerReconfigured':
      case 'ServerRestored':
        reconnect.push(data.serverId as string);
        merge(servers, data.serverId as string, ALL);
        break;
      case 'ServerRenamed':
        merge(servers, data.serverId as string, NAMES);
        break;
      // Approved tools are listed again (or, after a revert, held back again).
      case 'ToolDefinitionApproved':
      case 'ToolApprovalsRestored':
        merge(servers, data.serverId as string, TOOLS);
        break;
      case 'ServerRemoved':
        removed.push(data.serverId as string);
        merge(servers, data.serverId as string, ALL);
        break;
      // New OAuth tokens: a connection that failed for want of them is replaced (see `authorized`).
      case 'OAuthTokensGranted':
        authorized.push(data.serverId as string);
        merge(servers, data.serverId as string, ALL);
        break;
      // Revoked OAuth tokens: connections opened with them are dropped, in-flight calls included.
      case 'OAuthTokensRevoked':
        removed.push(data.serverId as string);
        merge(servers, data.serverId as string, ALL);
        break;
      case 'ApiKeyRevoked':
        revokedKeys.push(data.keyId as string);
        break;
      default: {
        // A user's own credentials for a server changed: what that server lists to them may have
        // (their connections are replaced the moment it commits: userReleaseOf).
        const serverId = userReleaseOf(event)?.serverId;
        if (serverId !== undefined) merge(servers, serverId, ALL);
        break;
      }
    }
  }
  return { profiles, servers, reconnect, removed, maybeUnused, revokedKeys, authorized };
};
