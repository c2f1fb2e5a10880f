import type { AccessEvent } from '../../domain/access/events';
import type { ApiKeyEvent } from '../../domain/apikey/events';
import type { UserCredentialsEvent } from '../../domain/credentials/events';
import type { OAuthEvent } from '../../domain/oauth/events';
import type { PersonalAccessTokenEvent } from '../../domain/pat/events';
import type { ProfileEvent } from '../../domain/profile/events';
import type { ServerEvent } from '../../domain/server/events';
import type { SettingsEvent } from '../../domain/settings/events';
import type { UserEvent } from '../../domain/user/events';
import type { StoredEvent } from '../eventstore';
import type { ListKinds } from './session-registry';

/** Every event the log holds: what a batch of committed changes may contain. */
type ConfigEvent =
  | ServerEvent
  | ProfileEvent
  | ApiKeyEvent
  | SettingsEvent
  | OAuthEvent
  | UserEvent
  | AccessEvent
  | PersonalAccessTokenEvent
  | UserCredentialsEvent;

/** A stored event as the union of the domain's events (the log holds only those). */
const configEventOf = (stored: StoredEvent): ConfigEvent => ({ type: stored.type, data: stored.data }) as ConfigEvent;

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
  /** Users disabled: their sessions close at once (API keys and OAuth grants alike). */
  disabledUsers: readonly string[];
  /** Profiles whose access changed: the sessions a person opened on them with an OAuth grant are checked again. */
  accessChanged: readonly string[];
  /** Users whose role changed: their OAuth-grant sessions on every profile are checked again. */
  roleChanged: readonly string[];
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
export const userReleaseOf = (stored: StoredEvent): Readonly<{ userId: string; serverId?: string }> | null => {
  const event = configEventOf(stored);
  switch (event.type) {
    case 'UserCredentialsSet':
    case 'UserCredentialsRemoved':
    case 'UserOAuthTokensGranted':
    case 'UserOAuthTokensRevoked':
      return { userId: event.data.userId, serverId: event.data.serverId };
    case 'UserDisabled':
      return { userId: event.data.userId };
    default:
      // Every other event (and one this build does not know) releases no user's connections.
      return null;
  }
};

/**
 * Which server's connections an event closes the moment it is committed: OAuth tokens an admin
 * revoked (the connections were made with them; calls in flight on them fail too). On the
 * emission, not a batch later: a batch later it would also close the connections made meanwhile
 * with tokens granted again, and fail the calls they had already sent. Not a refresh the
 * authorization server refused: that is recorded inside the very request whose 401 asked for the
 * refresh, and closing its connection there would answer it "connection closed" instead of
 * "authorization required"; its connections close with the batch (`removed`).
 */
export const serverReleaseOf = (stored: StoredEvent): string | null => {
  const event = configEventOf(stored);
  return event.type === 'OAuthTokensRevoked' && event.data.reason === 'revoked' ? event.data.serverId : null;
};

/**
 * Which server's connections waiting out a backoff try again the moment an event commits: OAuth
 * tokens granted (the 401s that built the backoff up are answered), before the grant's request
 * answers, so a call right after authorizing connects instead of being refused until the retry.
 */
export const serverRetryOf = (stored: StoredEvent): string | null => {
  const event = configEventOf(stored);
  return event.type === 'OAuthTokensGranted' ? event.data.serverId : null;
};

const ALL: ListKinds = { tools: true, prompts: true, resources: true };
const TOOLS: ListKinds = { tools: true };
const NAMES: ListKinds = { tools: true, prompts: true };

/**
 * What each profile event changes in the lists of the sessions on that profile (null: nothing).
 * Every profile event is here, so that a new one does not compile until it is decided.
 */
const profileKinds: Readonly<Record<ProfileEvent['type'], ListKinds | null>> = {
  ProfileCreated: null, // no session is open on a profile before it exists
  ProfileUpdated: NAMES, // its tool prefix or exposure names tools and prompts anew
  ProfileDeleted: ALL, // all it listed is gone
  ProfileRestored: ALL, // all it listed is back
  ServerAttached: ALL, // a server's lists join
  ServerDetached: ALL, // a server's lists leave (and the server may have no profile left)
  ServerStatusChanged: ALL, // a server's lists join or leave
  ToolStatusChanged: TOOLS, // a tool shown or hidden
  ToolOverridden: TOOLS, // a tool's name, title or description
  ToolOverrideCleared: TOOLS,
};

const isProfileEvent = (event: ConfigEvent): event is ProfileEvent => Object.hasOwn(profileKinds, event.type);

/** The end of the switch below: `never` when every event type has its case. */
const ignoreUnknown = (_event: never): void => undefined;

const merge = (map: Map<string, ListKinds>, id: string, kinds: ListKinds): void => {
  const previous = map.get(id) ?? {};
  map.set(id, { tools: previous.tools || kinds.tools, prompts: previous.prompts || kinds.prompts, resources: previous.resources || kinds.resources });
};

/**
 * What a batch of committed configuration events means for the live proxy. Pure, so that the
 * mapping from events to effects is tested without sessions. Every event type is decided here
 * (profileKinds and the switch), so that a new one does not compile until it is.
 */
export const impactOf = (events: readonly StoredEvent[]): ConfigImpact => {
  const profiles = new Map<string, ListKinds>();
  const servers = new Map<string, ListKinds>();
  const reconnect: string[] = [];
  const removed: string[] = [];
  const maybeUnused: string[] = [];
  const revokedKeys: string[] = [];
  const disabledUsers = new Set<string>();
  const accessChanged: string[] = [];
  const roleChanged: string[] = [];
  const authorized: string[] = [];
  for (const stored of events) {
    const event = configEventOf(stored);
    if (isProfileEvent(event)) {
      const kinds = profileKinds[event.type];
      if (kinds === null) continue;
      merge(profiles, event.data.profileId, kinds);
      if (event.type === 'ServerDetached' || (event.type === 'ServerStatusChanged' && event.data.status === 'inactive')) maybeUnused.push(event.data.serverId);
      continue;
    }
    switch (event.type) {
      case 'ServerReconfigured':
      case 'ServerRestored':
        reconnect.push(event.data.serverId);
        merge(servers, event.data.serverId, ALL);
        break;
      case 'ServerRenamed':
        merge(servers, event.data.serverId, NAMES);
        break;
      // Approved tools are listed again (or, after a revert, held back again).
      case 'ToolDefinitionApproved':
      case 'ToolApprovalsRestored':
        merge(servers, event.data.serverId, TOOLS);
        break;
      case 'ServerRemoved':
        removed.push(event.data.serverId);
        merge(servers, event.data.serverId, ALL);
        break;
      // New OAuth tokens: a connection that failed for want of them is replaced (see `authorized`).
      case 'OAuthTokensGranted':
        authorized.push(event.data.serverId);
        merge(servers, event.data.serverId, ALL);
        break;
      // Revoked OAuth tokens: the connections opened with them are dropped, in-flight calls
      // included, the moment an admin's revocation commits (serverReleaseOf), here for a refused
      // refresh; the sessions hear that the lists changed.
      case 'OAuthTokensRevoked':
        if (event.data.reason === 'refresh_failed') removed.push(event.data.serverId);
        merge(servers, event.data.serverId, ALL);
        break;
      case 'ApiKeyRevoked':
        revokedKeys.push(event.data.keyId);
        break;
      // A user's own credentials for a server changed: what that server lists to them may have
      // (their connections are replaced the moment it commits: userReleaseOf).
      case 'UserCredentialsSet':
      case 'UserCredentialsRemoved':
      case 'UserOAuthTokensGranted':
      case 'UserOAuthTokensRevoked':
        merge(servers, event.data.serverId, ALL);
        break;
      case 'UserDisabled': // its sessions close; its own connections close the moment it commits (userReleaseOf)
        disabledUsers.add(event.data.userId);
        break;
      case 'UserEnabled': // enabled again in the same batch: its sessions stay
        disabledUsers.delete(event.data.userId);
        break;
      case 'AccessChanged': // who may use a profile: an OAuth grant's use of it is checked per request, and its sessions now
        if (event.data.kind === 'profile') accessChanged.push(event.data.resourceId);
        break;
      case 'UserRoleChanged': // what the person may use (an admin sees every profile, a member what is shared)
        roleChanged.push(event.data.userId);
        break;
      // Nothing for the live proxy to do:
      case 'ServerRegistered': // no profile uses it yet
      case 'ServerToolsDiscovered': // the upstream's own list_changed already told the sessions
      case 'OAuthClientRegistered': // a client, not yet tokens
      case 'OAuthClientRejected':
      case 'OAuthTokensRefreshed': // the token source reads the new token
      case 'UserOAuthTokensRefreshed':
      case 'ApiKeyIssued': // a key opens sessions, none is open with it yet
      case 'SettingsChanged': // the settings directory and the follower's allowlist check apply it
      case 'UserRegistered': // the rest is the console's (users, personal access tokens): no
      case 'UserRenamed': // profile, server or MCP session changes with it
      case 'UserPasswordChanged':
      case 'PersonalAccessTokenIssued':
      case 'PersonalAccessTokenRevoked':
        break;
      default:
        // Every type above has its case (this does not compile otherwise); one written by a newer build changes nothing here.
        ignoreUnknown(event);
    }
  }
  return { profiles, servers, reconnect, removed, maybeUnused, revokedKeys, disabledUsers: [...disabledUsers], accessChanged, roleChanged, authorized };
};
