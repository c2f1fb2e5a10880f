import type { EntityManager } from 'typeorm';
import { SERVER_EVENT_TYPES } from '../../../domain/server/events';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { compiledQuery, type CompiledQuery } from '../../persistence/compiled-query';
import { ServerRow } from './server.entity';
import { ServerReplay } from './server.replay';
import { applyServerEvent, type ServerWrites, type Upserted } from './server.writes';

const UPSERTED_COLUMNS = [
  'name', 'description', 'transport', 'command', 'args', 'env', 'cwd', 'url', 'headers', 'secret_headers', 'bearer_token', 'timeout_ms', 'isolation',
  'tool_pinning', 'credentials', 'approved_tools', 'approve_first_discovery', 'status', 'version', 'updated_at', 'removed_at',
];

// Compiled once (see CompiledQuery): appends run them for every server event.
const UPSERT = compiledQuery<Upserted>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(ServerRow)
    .values({
      id: p.id, name: p.name, description: p.description, transport: p.transport, command: p.command, args: p.args, env: p.env, cwd: p.cwd,
      url: p.url, headers: p.headers, secretHeaders: p.secretHeaders, bearerToken: p.bearerToken, timeoutMs: p.timeoutMs, isolation: p.isolation, toolPinning: p.toolPinning,
      credentials: p.credentials, approvedTools: p.approvedTools, approveFirstDiscovery: p.approveFirstDiscovery, status: 'active',
      toolsFingerprint: null, toolsDiscoveredAt: null, version: p.version, createdAt: p.createdAt, updatedAt: p.updatedAt, removedAt: null,
    })
    .orUpdate(UPSERTED_COLUMNS, ['id'])
    .updateEntity(false),
);

type Update = Partial<ServerRow> & { serverId: string };

/** An update of these columns, the version and the update time, compiled once per set of columns (a rename, a removal, a reconfiguration…). */
const UPDATES = new Map<string, CompiledQuery<Update>>();
const updateOf = (columns: readonly (keyof ServerRow)[]): CompiledQuery<Update> => {
  const key = [...columns].sort().join(',');
  let query = UPDATES.get(key);
  if (query === undefined) {
    query = compiledQuery<Update>((manager, p) =>
      manager
        .createQueryBuilder()
        .update(ServerRow)
        .set(Object.fromEntries(columns.map((column) => [column, p[column]])))
        .where('id = :serverId', { serverId: p.serverId })
        .updateEntity(false),
    );
    UPDATES.set(key, query);
  }
  return query;
};

/** The projection's changes as SQL statements in the append transaction. */
const sqlWrites = (manager: EntityManager): ServerWrites => ({
  upsert: (values) => UPSERT.write(manager, values),
  update: (touched, columns) => {
    const values: Update = { ...columns, version: touched.version, updatedAt: touched.at, serverId: touched.serverId };
    return updateOf([...Object.keys(columns), 'version', 'updatedAt'] as (keyof ServerRow)[]).write(manager, values);
  },
  approvedTools: async (serverId) =>
    (await manager.getRepository(ServerRow).findOne({ where: { id: serverId }, select: { id: true, approvedTools: true } }))?.approvedTools ?? null,
});

/** `servers`: one row per server, upserted on registration and restore, updated by the rest. */
export const serverProjection: InlineProjection = {
  name: 'servers',
  eventTypes: new Set<string>(SERVER_EVENT_TYPES),
  tables: [ServerRow],
  apply: (event: StoredEvent, manager: EntityManager) => applyServerEvent(sqlWrites(manager), event),
  replay: () => new ServerReplay(),
};
