import type { DomainCommand } from '../shared';
import type { LinkStatus, ProfileSettings, ProfileSnapshot, ServerDetached } from './events';

/** Creates a profile. Re-sending the same creation is a no-op (safe to retry). */
export type CreateProfile = DomainCommand<'CreateProfile', { profileId: string; settings: ProfileSettings }>;

/** A PATCH: absent (or undefined) fields are left as they are. */
export type UpdateProfile = DomainCommand<'UpdateProfile', { profileId: string; changes: Partial<ProfileSettings> }>;

export type DeleteProfile = DomainCommand<'DeleteProfile', { profileId: string }>;

/**
 * Attaches a server or changes the status of its link (PUT). The handler loads the server's
 * stream and says whether it was removed: a removed server cannot be attached.
 */
export type SetServerLink = DomainCommand<
  'SetServerLink',
  { profileId: string; serverId: string; status: LinkStatus; serverRemoved: boolean }
>;

export type DetachReason = ServerDetached['data']['reason'];

/**
 * `detached`: a user's DELETE. `server_removed`: the clean-up after a server was removed, which
 * is idempotent and never fails (nothing to do when the link or the profile is already gone).
 */
export type DetachServer = DomainCommand<'DetachServer', { profileId: string; serverId: string; reason: DetachReason }>;

/** The PATCH body for one tool: undefined leaves a field as it is, null clears it. */
export type ToolPatch = Readonly<{
  status?: LinkStatus;
  name?: string | null;
  title?: string | null;
  description?: string | null;
  annotations?: Readonly<Record<string, unknown>> | null;
}>;

/**
 * Sets a profile's status and overrides for one upstream tool. The tool need not be discovered
 * yet, nor its server attached: the settings apply when they appear.
 */
export type SetTool = DomainCommand<'SetTool', ToolPatch & { profileId: string; serverId: string; toolName: string }>;

/**
 * Brings the profile back to `target`, the snapshot the caller folded from the stream up to an
 * earlier position (`null`: the profile did not exist then). Links to `removedServerIds` (servers
 * removed since) are not brought back.
 */
export type RevertProfile = DomainCommand<
  'RevertProfile',
  { profileId: string; target: ProfileSnapshot | null; removedServerIds: readonly string[] }
>;

/**
 * Creates `profileId` as a copy of `source` (the snapshot the handler folded from the source's
 * stream; servers removed since are left out by the handler) under a new slug.
 */
export type CloneProfile = DomainCommand<
  'CloneProfile',
  { profileId: string; slug: string; name?: string; description?: string | null; source: ProfileSnapshot }
>;

export type ProfileCommand =
  | CreateProfile
  | UpdateProfile
  | DeleteProfile
  | SetServerLink
  | DetachServer
  | SetTool
  | RevertProfile
  | CloneProfile;
