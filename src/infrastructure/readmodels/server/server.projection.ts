import type { EntityManager } from 'typeorm';
import type { ServerEvent, ServerSettings, ServerSnapshot } from '../../../domain/server/events';
import { SERVER_EVENT_TYPES } from '../../../domain/server/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
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
};

const UPSERTED_COLUMNS = [
  'name', 'description', 'transport', 'command', 'args', 'env', 'cwd', 'url', 'headers', 'bearer_token', 'timeout_ms', 'isolation',
  'status', 'version', 'updated_at', 'removed_at',
];

const upsertServer = async (manager: EntityManager, snapshot: ServerSnapshot, event: StoredEvent): Promise<void> => {
  await manager
    .createQueryBuilder()
    .insert()
    .into(ServerRow)
    .values({
      id: snapshot.serverId, name: snapshot.name, description: snapshot.description, transport: snapshot.transport, command: snapshot.command,
      args: json(snapshot.args), env: json(snapshot.env), cwd: snapshot.cwd, url: snapshot.url, headers: json(snapshot.headers),
      bearerToken: snapshot.bearerToken === null ? null : json(snapshot.bearerToken), timeoutMs: snapshot.timeoutMs,
      isolation: snapshot.isolation ?? 'shared', status: 'active', toolsFingerprint: null, toolsDiscoveredAt: null,
      version: event.version, createdAt: event.recordedAt, updatedAt: event.recordedAt, removedAt: null,
    })
    .orUpdate(UPSERTED_COLUMNS, ['id'])
    .updateEntity(false)
    .execute();
};

const update = async (manager: EntityManager, serverId: string, event: StoredEvent, changes: Partial<ServerRow>): Promise<void> => {
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
      return update(manager, domainEvent.data.serverId, event, settingChanges(domainEvent.data.changes));
    case 'ServerRenamed':
      return update(manager, domainEvent.data.serverId, event, { name: domainEvent.data.name });
    case 'ServerRemoved':
      return update(manager, domainEvent.data.serverId, event, { status: 'removed', removedAt: event.recordedAt });
    case 'ServerToolsDiscovered':
      return update(manager, domainEvent.data.serverId, event, { toolsFingerprint: domainEvent.data.fingerprint, toolsDiscoveredAt: event.recordedAt });
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
