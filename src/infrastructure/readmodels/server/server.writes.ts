import type { ApprovedTool, ServerEvent, ServerSettings, ServerSnapshot } from '../../../domain/server/events';
import { mergeApprovals } from '../../../domain/server/pinning';
import { assertNever } from '../../../domain/shared';
import type { StoredEvent } from '../../eventstore';
import type { ServerRow } from './server.entity';

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
  secretHeaders: (names) => ({ secretHeaders: json(names ?? []) }),
  bearerToken: (token) => ({ bearerToken: token === null ? null : json(token) }),
  timeoutMs: (timeoutMs) => ({ timeoutMs }),
  isolation: (isolation) => ({ isolation: isolation ?? 'shared' }),
  toolPinning: (toolPinning) => ({ toolPinning: toolPinning ?? 'off' }),
  credentials: (credentials) => ({ credentials: credentials ?? 'shared' }),
};

/** A server's row as a registration or restore writes it (active; fingerprint and discovery time kept if it exists). */
export type Upserted = Omit<ServerRow, 'status' | 'toolsFingerprint' | 'toolsDiscoveredAt' | 'removedAt'>;
/** What every change but a registration or restore sets besides its own columns. */
export type Touched = Readonly<{ serverId: string; version: number; at: string }>;

/**
 * The changes the server projection makes to `servers`, one method a statement: run as SQL
 * inline (server.projection.ts) and, during a rebuild, on rows kept in memory and written at
 * the end (server.replay.ts). Both must leave the same rows; the read-model contract checks it.
 */
export interface ServerWrites {
  /** Insert, or update every column but the id, the creation time, the tools' fingerprint and their discovery time. */
  upsert(values: Upserted): Promise<void>;
  /** Updates these columns, the version and the update time, if the server has a row. */
  update(touched: Touched, columns: Partial<ServerRow>): Promise<void>;
  /** The server's approved tools (JSON), or null when it has no row. */
  approvedTools(serverId: string): Promise<string | null>;
}

/** Approvals replace earlier ones of the same tools; the row keeps them sorted by name. */
const approve = async (writes: ServerWrites, event: StoredEvent, tools: readonly ApprovedTool[], replace: boolean): Promise<void> => {
  const { serverId } = event.data as { serverId: string };
  const approved = replace ? null : await writes.approvedTools(serverId);
  const before = approved === null ? [] : (JSON.parse(approved) as ApprovedTool[]);
  await writes.update({ serverId, version: event.version, at: event.recordedAt }, { approvedTools: json(mergeApprovals(before, tools)), approveFirstDiscovery: 0 });
};

const upsertServer = async (writes: ServerWrites, snapshot: ServerSnapshot & { approveFirstDiscovery?: boolean }, event: StoredEvent): Promise<void> => {
  await writes.upsert({
    id: snapshot.serverId, name: snapshot.name, description: snapshot.description, transport: snapshot.transport, command: snapshot.command,
    args: json(snapshot.args), env: json(snapshot.env), cwd: snapshot.cwd, url: snapshot.url, headers: json(snapshot.headers), secretHeaders: json(snapshot.secretHeaders ?? []),
    bearerToken: snapshot.bearerToken === null ? null : json(snapshot.bearerToken), timeoutMs: snapshot.timeoutMs,
    isolation: snapshot.isolation ?? 'shared', toolPinning: snapshot.toolPinning ?? 'off', credentials: snapshot.credentials ?? 'shared', approvedTools: '[]',
    approveFirstDiscovery: snapshot.approveFirstDiscovery === true ? 1 : 0, version: event.version, createdAt: event.recordedAt, updatedAt: event.recordedAt,
  });
};

const settingChanges = (changes: Partial<ServerSettings>): Partial<ServerRow> => {
  let columns: Partial<ServerRow> = {};
  for (const field of Object.keys(changes) as (keyof ServerSettings)[]) {
    const toColumns = SETTING_COLUMNS[field] as (value: unknown) => Partial<ServerRow>;
    columns = { ...columns, ...toColumns(changes[field]) };
  }
  return columns;
};

/** What one server event changes in `servers`. */
export const applyServerEvent = async (writes: ServerWrites, event: StoredEvent): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as ServerEvent;
  const touched = { serverId: (domainEvent.data as { serverId: string }).serverId, version: event.version, at: event.recordedAt };
  switch (domainEvent.type) {
    case 'ServerRegistered':
    case 'ServerRestored':
      return upsertServer(writes, domainEvent.data, event);
    case 'ServerReconfigured':
      return writes.update(touched, settingChanges(domainEvent.data.changes));
    case 'ServerRenamed':
      return writes.update(touched, { name: domainEvent.data.name });
    case 'ServerRemoved':
      return writes.update(touched, { status: 'removed', removedAt: event.recordedAt });
    case 'ServerToolsDiscovered':
      return writes.update(touched, { toolsFingerprint: domainEvent.data.fingerprint, toolsDiscoveredAt: event.recordedAt });
    case 'ToolDefinitionApproved':
      return approve(writes, event, domainEvent.data.tools, false);
    case 'ToolApprovalsRestored':
      return approve(writes, event, domainEvent.data.tools, true);
    default:
      return assertNever(domainEvent);
  }
};
