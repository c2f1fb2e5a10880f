import { randomUUID } from 'node:crypto';
import * as profile from '../../domain/profile';
import * as server from '../../domain/server';
import { DomainError } from '../../domain/shared';
import { findProfileRow } from '../queries/profile.queries';
import type { GatehouseContext } from './context';
import { handleCommand, loadStateAt, type CommandContext } from './handle-command';

export type ProfileInput = Readonly<{
  slug: string;
  name?: string;
  description?: string | null;
  toolPrefix?: profile.ToolPrefixMode;
  auth?: Readonly<{ apiKey?: boolean; queryParam?: boolean }>;
  debugLogging?: boolean;
}>;

export type ProfilePatch = Partial<ProfileInput>;

const DEFAULT_AUTH: profile.ProfileAuth = { apiKey: true, queryParam: false };

const assertSlugFree = async (ctx: GatehouseContext, slug: string, exceptId?: string): Promise<void> => {
  const existing = await findProfileRow(ctx.dataSource, slug);
  if (existing && existing.id !== exceptId) {
    throw new DomainError('PROFILE_SLUG_TAKEN', `A profile with slug "${slug}" already exists`, { field: 'slug' });
  }
};

const run = (
  ctx: GatehouseContext,
  profileId: string,
  command: profile.ProfileCommand | ((state: profile.ProfileState) => profile.ProfileCommand),
  context: CommandContext,
) =>
  handleCommand(ctx.store, profile.profileDecider, profile.profileStreamId(profileId), command, context);

export const createProfile = async (ctx: GatehouseContext, input: ProfileInput, context: CommandContext, profileId: string = randomUUID()) => {
  await assertSlugFree(ctx, input.slug);
  const settings: profile.ProfileSettings = {
    slug: input.slug,
    name: input.name ?? input.slug,
    description: input.description ?? null,
    toolPrefix: input.toolPrefix ?? 'always',
    auth: { ...DEFAULT_AUTH, ...input.auth },
    debugLogging: input.debugLogging ?? false,
  };
  return run(ctx, profileId, { type: 'CreateProfile', data: { profileId, settings } }, context);
};

export const updateProfile = async (ctx: GatehouseContext, profileId: string, patch: ProfilePatch, context: CommandContext) => {
  if (patch.slug !== undefined) await assertSlugFree(ctx, patch.slug, profileId);
  return run(
    ctx,
    profileId,
    (state: profile.ProfileState): profile.ProfileCommand => {
      const changes: Partial<profile.ProfileSettings> = {
        ...(patch.slug !== undefined ? { slug: patch.slug } : {}),
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.toolPrefix !== undefined ? { toolPrefix: patch.toolPrefix } : {}),
        ...(patch.debugLogging !== undefined ? { debugLogging: patch.debugLogging } : {}),
        // auth is patched field by field: {auth: {queryParam: true}} keeps apiKey as it is.
        ...(patch.auth !== undefined ? { auth: { ...(state.status === 'empty' ? DEFAULT_AUTH : state.auth), ...patch.auth } } : {}),
      };
      return { type: 'UpdateProfile', data: { profileId, changes } };
    },
    context,
  );
};

export const deleteProfile = (ctx: GatehouseContext, profileId: string, context: CommandContext) =>
  run(ctx, profileId, { type: 'DeleteProfile', data: { profileId } }, context);

const isServerRemoved = async (ctx: GatehouseContext, serverId: string): Promise<boolean> =>
  (await loadStateAt(ctx.store, server.serverDecider, server.serverStreamId(serverId))).state.status === 'removed';

export const attachServer = async (ctx: GatehouseContext, profileId: string, serverId: string, status: profile.LinkStatus, context: CommandContext) => {
  const serverRemoved = await isServerRemoved(ctx, serverId);
  return run(ctx, profileId, { type: 'SetServerLink', data: { profileId, serverId, status, serverRemoved } }, context);
};

export const detachServer = (ctx: GatehouseContext, profileId: string, serverId: string, context: CommandContext) =>
  run(ctx, profileId, { type: 'DetachServer', data: { profileId, serverId, reason: 'detached' } }, context);

export const setTool = (ctx: GatehouseContext, profileId: string, serverId: string, toolName: string, patch: profile.ToolPatch, context: CommandContext) =>
  run(ctx, profileId, { type: 'SetTool', data: { ...patch, profileId, serverId, toolName } }, context);

/** Appends the events that bring the profile back to what it was at global position `to`. */
export const revertProfile = async (ctx: GatehouseContext, profileId: string, to: number, context: CommandContext) => {
  const streamId = profile.profileStreamId(profileId);
  const target = profile.snapshotOf((await loadStateAt(ctx.store, profile.profileDecider, streamId, to)).state);
  if (target !== null) await assertSlugFree(ctx, target.slug, profileId);
  const removedServerIds: string[] = [];
  for (const link of target?.servers ?? []) {
    if (await isServerRemoved(ctx, link.serverId)) removedServerIds.push(link.serverId);
  }
  const result = await run(ctx, profileId, { type: 'RevertProfile', data: { profileId, target, removedServerIds } }, context);
  return { ...result, skippedServerIds: removedServerIds };
};
