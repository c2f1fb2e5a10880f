import { randomUUID } from 'node:crypto';
import * as profile from '../../domain/profile';
import * as server from '../../domain/server';
import { DomainError } from '../../domain/shared';
import { ConcurrencyError } from '../eventstore';
import { findServerRow } from '../queries/server.queries';
import { sealMap } from '../crypto';
import type { GatehouseContext } from './context';
import { decideOnStream, handleCommand, handleMultiStream, loadStateAt, type CommandContext } from './handle-command';
import { assertUpstreamUrlAllowed } from './upstream-policy';

/** A server as a user writes it: plaintext secrets, sealed here before they reach a command. */
export type ServerInput = Readonly<{
  name: string;
  description?: string | null;
  transport: server.Transport;
  command?: string | null;
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string | null;
  url?: string | null;
  headers?: Readonly<Record<string, string>>;
  bearerToken?: string | null;
  timeoutMs?: number | null;
  isolation?: server.Isolation;
}>;

export type ServerPatch = Partial<ServerInput>;

const sealSettings = (ctx: GatehouseContext, input: ServerInput): server.ServerSettings => ({
  description: input.description ?? null,
  transport: input.transport,
  command: input.command ?? null,
  args: [...(input.args ?? [])],
  env: sealMap(ctx.secrets, input.env),
  cwd: input.cwd ?? null,
  url: input.url ?? null,
  headers: sealMap(ctx.secrets, input.headers),
  bearerToken: input.bearerToken === undefined || input.bearerToken === null ? null : ctx.secrets.seal(input.bearerToken),
  timeoutMs: input.timeoutMs ?? null,
  isolation: input.isolation ?? 'shared',
});

const sealPatch = (ctx: GatehouseContext, patch: ServerPatch): server.ServerChanges => {
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (field === 'env' || field === 'headers') changes[field] = sealMap(ctx.secrets, value as Record<string, string>);
    else if (field === 'bearerToken') changes[field] = value === null ? null : ctx.secrets.seal(value as string);
    else if (field === 'args') changes[field] = [...(value as string[])];
    else changes[field] = value;
  }
  return changes as server.ServerChanges;
};

const assertNameFree = async (ctx: GatehouseContext, name: string, exceptId?: string): Promise<void> => {
  const existing = await findServerRow(ctx.dataSource, name);
  if (existing && existing.name === name && existing.id !== exceptId) {
    throw new DomainError('SERVER_NAME_TAKEN', `A server named "${name}" already exists`, { field: 'name' });
  }
};

export const registerServer = async (ctx: GatehouseContext, input: ServerInput, context: CommandContext, serverId: string = randomUUID()) => {
  await assertNameFree(ctx, input.name);
  await assertUpstreamUrlAllowed(ctx, input.url);
  const settings = sealSettings(ctx, input);
  return handleCommand(ctx.store, server.serverDecider, server.serverStreamId(serverId), { type: 'RegisterServer', data: { serverId, name: input.name, settings } }, context);
};

export const reconfigureServer = async (ctx: GatehouseContext, serverId: string, patch: ServerPatch, context: CommandContext) => {
  if (patch.name !== undefined) await assertNameFree(ctx, patch.name, serverId);
  await assertUpstreamUrlAllowed(ctx, patch.url);
  const changes = sealPatch(ctx, patch);
  return handleCommand(ctx.store, server.serverDecider, server.serverStreamId(serverId), { type: 'ReconfigureServer', data: { serverId, changes } }, context);
};

const linkedProfileIds = (ctx: GatehouseContext, serverId: string): string[] =>
  ctx.sql.all<{ profile_id: string }>('SELECT profile_id FROM profile_servers WHERE server_id = ? ORDER BY profile_id', serverId).map((row) => row.profile_id);

/** Removing a server detaches it from every profile, in the same transaction. */
export const removeServer = async (ctx: GatehouseContext, serverId: string, context: CommandContext) => {
  if (context.expectedVersion !== undefined) {
    const version = await ctx.store.streamVersion(server.serverStreamId(serverId));
    if (version !== context.expectedVersion) throw new ConcurrencyError(server.serverStreamId(serverId), context.expectedVersion, version);
  }
  return handleMultiStream(
    ctx.store,
    async () => [
      await decideOnStream(ctx.store, server.serverDecider, server.serverStreamId(serverId), { type: 'RemoveServer', data: { serverId } }),
      ...(await Promise.all(
        linkedProfileIds(ctx, serverId).map((profileId) =>
          decideOnStream(ctx.store, profile.profileDecider, profile.profileStreamId(profileId), {
            type: 'DetachServer',
            data: { profileId, serverId, reason: 'server_removed' },
          }),
        ),
      )),
    ],
    context,
  );
};

/** Appends the events that bring the server back to what it was at global position `to`. */
export const revertServer = async (ctx: GatehouseContext, serverId: string, to: number, context: CommandContext) => {
  const streamId = server.serverStreamId(serverId);
  const past = await loadStateAt(ctx.store, server.serverDecider, streamId, to);
  const target = server.snapshotOf(past.state);
  if (target !== null) await assertNameFree(ctx, target.name, serverId);
  await assertUpstreamUrlAllowed(ctx, target?.url);
  return handleCommand(ctx.store, server.serverDecider, streamId, { type: 'RevertServer', data: { serverId, target } }, context);
};
