import { randomUUID } from 'node:crypto';
import * as server from '../../domain/server';
import type { SealedMap, SealedSecret } from '../../domain/shared';
import type { GatehouseContext } from '../commands/context';
import { type CommandContext, type DecidedAppend, decideOnStream, handleMultiStream } from '../commands/handle-command';
import { refusedUpstreamUrls } from '../commands/upstream-policy';
import { listProfileRows } from '../queries/profile.queries';
import { listServerRows } from '../queries/server.queries';
import { serverRowToSnapshot } from '../queries/server.view';
import { type ImportDocument, ImportRefusedError, type SecretMap, type SecretValue, type ServerEntry } from './document';
import { type CurrentState, type ImportPlan, planImport, type ServerStep } from './plan';
import { decideProfileStep } from './profile-steps';

export type ImportAction = 'registered' | 'reconfigured' | 'unchanged';

export type ImportResult = Readonly<{
  servers: readonly Readonly<{ name: string; id: string; action: ImportAction }>[];
  attachedTo: string | null;
  /** How many events the import appended: 0 when the configuration already was what the document says. */
  appended: number;
}>;

export type ImportOptions = Readonly<{ profile?: string }>;

const loadCurrentState = async (ctx: GatehouseContext): Promise<CurrentState> => {
  const servers = await listServerRows(ctx.dataSource);
  const profiles = await listProfileRows(ctx.dataSource);
  return {
    servers: new Map(
      servers.map((row) => {
        const snapshot = serverRowToSnapshot(row);
        return [row.name, { id: row.id, envKeys: new Set(Object.keys(snapshot.env)), headerKeys: new Set(Object.keys(snapshot.headers)), hasBearerToken: snapshot.bearerToken !== null }];
      }),
    ),
    profiles: new Map(profiles.map((row) => [row.slug, row.id])),
  };
};

/**
 * Seals a plaintext, or, for a mask, keeps the secret the server holds (the sealed value itself:
 * it is never decrypted). The plan has checked that it exists; a concurrent change that removed
 * it since is refused like the entry would have been.
 */
const resolveSecret = (ctx: GatehouseContext, value: SecretValue, current: SealedSecret | undefined, field: string): SealedSecret => {
  if (value.kind === 'plain') return ctx.secrets.seal(value.value);
  if (current === undefined) throw new ImportRefusedError([{ field, messages: ['is masked, but the server no longer has this value'] }]);
  return current;
};

const resolveMap = (ctx: GatehouseContext, values: SecretMap, current: SealedMap, path: string): SealedMap =>
  Object.fromEntries(Object.entries(values).map(([key, value]) => [key, resolveSecret(ctx, value, current[key], `${path}.${key}`)]));

const settingsFor = (ctx: GatehouseContext, entry: ServerEntry, state: server.ServerState): server.ServerSettings => {
  const current = state.status === 'active' ? state : undefined;
  const path = `mcpServers.${entry.name}`;
  return {
    description: entry.description,
    transport: entry.transport,
    command: entry.command,
    args: [...entry.args],
    env: resolveMap(ctx, entry.env, current?.env ?? {}, `${path}.env`),
    cwd: entry.cwd,
    url: entry.url,
    headers: resolveMap(ctx, entry.headers, current?.headers ?? {}, `${path}.headers`),
    bearerToken: entry.bearerToken === null ? null : resolveSecret(ctx, entry.bearerToken, current?.bearerToken ?? undefined, `${path}.bearerToken`),
    timeoutMs: entry.timeoutMs,
    // Claude Desktop entries have no isolation: keep what the server has.
    isolation: current?.isolation ?? 'shared',
  };
};

/** An existing server is reconfigured to the entry (nothing is appended when it already matches). */
const serverCommand = (ctx: GatehouseContext, step: ServerStep) => (state: server.ServerState): server.ServerCommand => {
  const settings = settingsFor(ctx, step.entry, state);
  return step.exists
    ? { type: 'ReconfigureServer', data: { serverId: step.serverId, changes: { name: step.entry.name, ...settings } } }
    : { type: 'RegisterServer', data: { serverId: step.serverId, name: step.entry.name, settings } };
};

const decideAll = async (ctx: GatehouseContext, plan: ImportPlan): Promise<DecidedAppend<unknown>[]> => {
  const appends: DecidedAppend<unknown>[] = [];
  for (const step of plan.servers) {
    appends.push(await decideOnStream(ctx.store, server.serverDecider, server.serverStreamId(step.serverId), serverCommand(ctx, step)));
  }
  for (const step of plan.profiles) appends.push(await decideProfileStep(ctx.store, step, plan));
  return appends;
};

/**
 * Applies a parsed document in one transaction: every server and profile it describes, or
 * nothing (a bad entry, a masked secret with nothing to keep, a name taken concurrently).
 * Servers are matched by active name and profiles by slug; others are left alone.
 */
export const importDocument = async (
  ctx: GatehouseContext,
  document: ImportDocument,
  options: ImportOptions,
  context: CommandContext,
): Promise<ImportResult> => {
  const refusedUrls = await refusedUpstreamUrls(ctx, document.servers, (name) => `mcpServers.${name}.url`);
  if (refusedUrls.length > 0) throw new ImportRefusedError(refusedUrls);
  let decided: { plan: ImportPlan; appends: DecidedAppend<unknown>[] } | undefined;
  const stored = await handleMultiStream(
    ctx.store,
    async () => {
      const plan = planImport(document, await loadCurrentState(ctx), { attachTo: options.profile, newId: randomUUID });
      decided = { plan, appends: await decideAll(ctx, plan) };
      return decided.appends;
    },
    context,
  );
  const { plan, appends } = decided as NonNullable<typeof decided>;
  return {
    servers: plan.servers.map((step, index) => ({
      name: step.entry.name,
      id: step.serverId,
      action: !step.exists ? 'registered' : appends[index].events.length > 0 ? 'reconfigured' : 'unchanged',
    })),
    attachedTo: plan.attachTo,
    appended: stored.length,
  };
};
