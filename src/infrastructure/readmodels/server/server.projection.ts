import type { EntityManager } from 'typeorm';
import type { ApprovedTool, ServerEvent, ServerSettings, ServerSnapshot } from '../../../domain/server/events';
import { mergeApprovals } from '../../../domain/server/pinning';
import { SERVER_EVENT_TYPES } from '../../../domain/server/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { compiledQuery } from '../../persistence/compiled-query';
import { ServerRow } from './server.entity';

const json = (value: unknown): string => JSON.stringify(value);

/** How each setting is stored: JSON for the structured ones, as is for the rest. */
const SETTING_COLUMNS: { [K in keyof ServerSettings]: (value: ServerSettings[K]) => Partial<ServerRow> } = {
  description: (description) => ({ description }),
  transport: (transport) => ({ transport }),
  command: (command) => ({ command }),
  args: (args) => ({ args: json(args) }),
  env: (env) => ({ env: json(env) }),
  cwd: (cwd) => ({ cwd }),
  url: (url) => ({ url }),
  headers: (headers) => ({ headers: json(headers) }),
  bearerToken: (token) => ({ bearerToken: token === null ? null : json(token) }),
  timeoutMs: (timeoutMs) => ({ timeoutMs }),
  isolation: (isolation) => ({ isolation: isolation ?? 'shared' }),
  toolPinning: (toolPinning) => ({ toolPinning: toolPinning ?? 'off' }),
  credentials: (credentials) => ({ credentials: credentials ?? 'shared' }),
};

const UPSERTED_COLUMNS = [
  'name', 'description', 'transport', 'command', 'args', 'env', 'cwd', 'url', 'headers', 'bearer_token', 'timeout_ms', 'isolation',
  'tool_pinning', 'credentials', 'approved_tools', 'approve_first_discovery', 'status', 'version', 'updated_at', 'removed_at',
];

type Upserted = Omit<ServerRow, 'status' | 'toolsFingerprint' | 'toolsDiscoveredAt' | 'removedAt'>;
type Touched = Readonly<{ serverId: string; version: number; at: string }>;

// Compiled once (see CompiledQuery): a replay runs them for every server event.
const UPSERT = compiledQuery<Upserted>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(ServerRow)
    .values({
      id: p.id, name: p.name, description: p.description, transport: p.transport, command: p.command, args: p.args, env: p.env, cwd: p.cwd,
      url: p.url, headers: p.headers, bearerToken: p.bearerToken, timeoutMs: p.timeoutMs, isolation: p.isolation, toolPinning: p.toolPinning,
      credentials: p.credentials, approvedTools: p.approvedTools, approveFirstDiscovery: p.approveFirstDiscovery, status: 'active',
      toolsFingerprint: null, toolsDiscoveredAt: null, version: p.version, createdAt: p.createdAt, updatedAt: p.updatedAt, removedAt: null,
    })
    .orUpdate(UPSERTED_COLUMNS, ['id'])
    .updateEntity(false),
);
const touched = (p: Touched) => ({ version: p.version, updatedAt: p.at });
const RENAME = compiledQuery<Touched & { name: string }>((manager, p) =>
  manager.createQueryBuilder().update(ServerRow).set({ name: p.name, ...touched(p) }).where('id = :serverId', { serverId: p.serverId }).updateEntity(false),
);
const REMOVE = compiledQuery<Touched>((manager, p) =>
  manager.createQueryBuilder().update(ServerRow).set({ status: 'removed', removedAt: p.at, ...touched(p) }).where('id = :serverId', { serverId: p.serverId }).updateEntity(false),
);
const DISCOVERED = compiledQuery<Touched & { fingerprint: string }>((manager, p) =>
  manager
    .createQueryBuilder()
    .update(ServerRow)
    .set({ toolsFingerprint: p.fingerprint, toolsDiscoveredAt: p.at, ...touched(p) })
    .where('id = :serverId', { serverId: p.serverId })
    .updateEntity(false),
);

const APPROVALS = compiledQuery<Touched & { approvedTools: string }>((manager, p) =>
  manager
    .createQueryBuilder()
    .update(ServerRow)
    .set({ approvedTools: p.approvedTools, approveFirstDiscovery: 0, ...touched(p) })
    .where('id = :serverId', { serverId: p.serverId })
    .updateEntity(false),
);

/** Approvals replace earlier ones of the same tools; the row keeps them sorted by name. */
const approve = async (manager: EntityManager, event: StoredEvent, tools: readonly ApprovedTool[], replace: boolean): Promise<void> => {
  const { serverId } = event.data as { serverId: string };
  const row = replace ? null : await manager.getRepository(ServerRow).findOne({ where: { id: serverId }, select: { id: true, approvedTools: true } });
  const before = row === null ? [] : (JSON.parse(row.approvedTools) as ApprovedTool[]);
  await APPROVALS.write(manager, { serverId, approvedTools: json(mergeApprovals(before, tools)), version: event.version, at: event.recordedAt });
};

const upsertServer = async (
  manager: EntityManager,
  snapshot: ServerSnapshot & { approveFirstDiscovery?: boolean },
  event: StoredEvent,
): Promise<void> => {
  await UPSERT.write(manager, {
    id: snapshot.serverId, name: snapshot.name, description: snapshot.description, transport: snapshot.transport, command: snapshot.command,
    args: json(snapshot.args), env: json(snapshot.env), cwd: snapshot.cwd, url: snapshot.url, headers: json(snapshot.headers),
    bearerToken: snapshot.bearerToken === null ? null : json(snapshot.bearerToken), timeoutMs: snapshot.timeoutMs,
    isolation: snapshot.isolation ?? 'shared', toolPinning: snapshot.toolPinning ?? 'off', credentials: snapshot.credentials ?? 'shared', approvedTools: '[]',
    approveFirstDiscovery: snapshot.approveFirstDiscovery === true ? 1 : 0, version: event.version, createdAt: event.recordedAt, updatedAt: event.recordedAt,
  });
};

/** A reconfiguration changes the columns its event names (rare: built for the occasion). */
const reconfigure = async (manager: EntityManager, serverId: string, event: StoredEvent, changes: Partial<ServerRow>): Promise<void> => {
  await manager
    .createQueryBuilder()
    .update(ServerRow)
    .set({ ...changes, version: event.version, updatedAt: event.recordedAt })
    .where('id = :serverId', { serverId })
    .updateEntity(false)
    .execute();
};

const settingChanges = (changes: Partial<ServerSettings>): Partial<ServerRow> => {
  let columns: Partial<ServerRow> = {};
  for (const field of Object.keys(changes) as (keyof ServerSettings)[]) {
    const toColumns = SETTING_COLUMNS[field] as (value: unknown) => Partial<ServerRow>;
    columns = { ...columns, ...toColumns(changes[field]) };
  }
  return columns;
};

const applyServerEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as ServerEvent;
  switch (domainEvent.type) {
    case 'ServerRegistered':
    case 'ServerRestored':
      return upsertServer(manager, domainEvent.data, event);
    case 'ServerReconfigured':
      return reconfigure(manager, domainEvent.data.serverId, event, settingChanges(domainEvent.data.changes));
    case 'ServerRenamed':
      await RENAME.write(manager, { serverId: domainEvent.data.serverId, name: domainEvent.data.name, version: event.version, at: event.recordedAt });
      return;
    case 'ServerRemoved':
      await REMOVE.write(manager, { serverId: domainEvent.data.serverId, version: event.version, at: event.recordedAt });
      return;
    case 'ServerToolsDiscovered':
      await DISCOVERED.write(manager, { serverId: domainEvent.data.serverId, fingerprint: domainEvent.data.fingerprint, version: event.version, at: event.recordedAt });
      return;
    case 'ToolDefinitionApproved':
      return approve(manager, event, domainEvent.data.tools, false);
    case 'ToolApprovalsRestored':
      return approve(manager, event, domainEvent.data.tools, true);
    default:
      return assertNever(domainEvent);
  }
};

/** `servers`: one row per server, upserted on registration and restore, updated by the rest. */
export const serverProjection: InlineProjection = {
  name: 'servers',
  eventTypes: new Set<string>(SERVER_EVENT_TYPES),
  tables: [ServerRow],
  apply: applyServerEvent,
};
