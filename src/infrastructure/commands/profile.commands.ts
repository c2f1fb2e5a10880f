import * as profile from '../../domain/profile';
import * as server from '../../domain/server';
import { loadState, newStreamId, type EventLog } from '../eventstore';
import { handleCommand, type CommandContext, type CommandOf } from './handle-command';
import type { ManagedEventStore } from '../eventstore/typeorm-event-store';

export type ProfileInput = Readonly<{
  slug: string;
  name?: string;
  description?: string | null;
  toolPrefix?: profile.ToolPrefixMode;
  toolExposure?: profile.ToolExposureMode;
  adaptiveToolLimit?: number;
  auth?: Readonly<{ apiKey?: boolean; queryParam?: boolean; mode?: profile.AuthMode }>;
  debugLogging?: boolean;
}>;

export type ProfilePatch = Partial<ProfileInput>;

const DEFAULT_AUTH: profile.ProfileAuth = { apiKey: true, queryParam: false };

const isServerRemoved = async (log: EventLog, serverId: string): Promise<boolean> =>
  (await loadState(log, server.serverDecider, server.serverStreamId(serverId))).state.status === 'removed';

/** The command handlers of the profile streams. */
export class ProfileCommands {
  constructor(private readonly store: ManagedEventStore) {}

  /** Creates a profile under a new id (or the given one); the id is in the result. */
  async create(input: ProfileInput, context: CommandContext, profileId: string = newStreamId(profile.profileStreamId)) {
    const settings: profile.ProfileSettings = {
      slug: input.slug,
      name: input.name ?? input.slug,
      description: input.description ?? null,
      toolPrefix: input.toolPrefix ?? 'always',
      toolExposure: input.toolExposure ?? 'all',
      adaptiveToolLimit: input.adaptiveToolLimit ?? profile.DEFAULT_ADAPTIVE_TOOL_LIMIT,
      auth: { ...DEFAULT_AUTH, ...input.auth },
      debugLogging: input.debugLogging ?? false,
    };
    const result = await this.run(profileId, { type: 'CreateProfile', data: { profileId, settings } }, context);
    return { profileId, result };
  }

  update(profileId: string, patch: ProfilePatch, context: CommandContext) {
    return this.run(
      profileId,
      (state: profile.ProfileState): profile.ProfileCommand => {
        const changes: Partial<profile.ProfileSettings> = {
          ...(patch.slug !== undefined ? { slug: patch.slug } : {}),
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.toolPrefix !== undefined ? { toolPrefix: patch.toolPrefix } : {}),
          ...(patch.toolExposure !== undefined ? { toolExposure: patch.toolExposure } : {}),
          ...(patch.adaptiveToolLimit !== undefined ? { adaptiveToolLimit: patch.adaptiveToolLimit } : {}),
          ...(patch.debugLogging !== undefined ? { debugLogging: patch.debugLogging } : {}),
          // auth is patched field by field: {auth: {queryParam: true}} keeps apiKey as it is.
          ...(patch.auth !== undefined ? { auth: { ...(state.status === 'empty' ? DEFAULT_AUTH : state.auth), ...patch.auth } } : {}),
        };
        return { type: 'UpdateProfile', data: { profileId, changes } };
      },
      context,
    );
  }

  delete(profileId: string, context: CommandContext) {
    return this.run(profileId, { type: 'DeleteProfile', data: { profileId } }, context);
  }

  attach(profileId: string, serverId: string, status: profile.LinkStatus, context: CommandContext) {
    return this.run(
      profileId,
      async (_state: profile.ProfileState, tx: EventLog): Promise<profile.ProfileCommand> => ({ type: 'SetServerLink', data: { profileId, serverId, status, serverRemoved: await isServerRemoved(tx, serverId) } }),
      context,
    );
  }

  detach(profileId: string, serverId: string, context: CommandContext) {
    return this.run(profileId, { type: 'DetachServer', data: { profileId, serverId, reason: 'detached' } }, context);
  }

  setTool(profileId: string, serverId: string, toolName: string, patch: profile.ToolPatch, context: CommandContext) {
    return this.run(profileId, { type: 'SetTool', data: { ...patch, profileId, serverId, toolName } }, context);
  }

  /** Appends the events that bring the profile back to what it was at global position `to`; links to servers removed since are skipped. */
  async revert(profileId: string, to: number, context: CommandContext) {
    let skippedServerIds: string[] = [];
    const result = await this.run(
      profileId,
      async (_state: profile.ProfileState, tx: EventLog): Promise<profile.ProfileCommand> => {
        const target = profile.snapshotOf((await loadState(tx, profile.profileDecider, profile.profileStreamId(profileId), to)).state);
        const removedServerIds: string[] = [];
        for (const link of target?.servers ?? []) {
          if (await isServerRemoved(tx, link.serverId)) removedServerIds.push(link.serverId);
        }
        skippedServerIds = removedServerIds;
        return { type: 'RevertProfile', data: { profileId, target, removedServerIds } };
      },
      context,
    );
    return { ...result, skippedServerIds };
  }

  /** A new profile copied from `sourceId` as it is now (links to removed servers left out); the new id is in the result. */
  async clone(sourceId: string, input: Readonly<{ slug: string; name?: string; description?: string | null }>, context: CommandContext, profileId: string = newStreamId(profile.profileStreamId)) {
    const result = await this.run(
      profileId,
      async (_state: profile.ProfileState, tx: EventLog): Promise<profile.ProfileCommand> => {
        const source = profile.snapshotOf((await loadState(tx, profile.profileDecider, profile.profileStreamId(sourceId))).state);
        if (source === null) throw profile.profileNotFound(sourceId);
        const servers = [];
        for (const link of source.servers) if (!(await isServerRemoved(tx, link.serverId))) servers.push(link);
        return { type: 'CloneProfile', data: { profileId, ...input, source: { ...source, servers } } };
      },
      context,
    );
    return { profileId, result };
  }

  private run(profileId: string, command: CommandOf<profile.ProfileState, profile.ProfileCommand>, context: CommandContext) {
    return handleCommand(this.store, profile.profileDecider, profile.profileStreamId(profileId), command, context);
  }
}
