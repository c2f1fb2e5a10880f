import type { EntityManager } from 'typeorm';
import type { ServerToolsDiscovered } from '../../../domain/server/events';
import type { InlineProjection, ProjectionReplay, StoredEvent } from '../../eventstore';
import { insertRows } from '../../persistence/bulk-insert';
import { compiledQuery } from '../../persistence/compiled-query';
import { ToolRow } from './tool.entity';

const DELETE_TOOLS = compiledQuery<{ serverId: string }>((manager, p) =>
  manager.createQueryBuilder().delete().from(ToolRow).where('server_id = :serverId', { serverId: p.serverId }),
);

const json = (value: unknown): string => JSON.stringify(value);

const rowsOf = (event: StoredEvent): { serverId: string; rows: ToolRow[] } => {
  const { serverId, tools } = (event.data as ServerToolsDiscovered['data']);
  const rows = tools.map((tool) => ({
    serverId, name: tool.name, title: tool.title ?? null, description: tool.description ?? null, inputSchema: json(tool.inputSchema),
    outputSchema: tool.outputSchema === undefined ? null : json(tool.outputSchema),
    annotations: tool.annotations === undefined ? null : json(tool.annotations), discoveredAt: event.recordedAt,
  }));
  return { serverId, rows };
};

/** A server's tools are replaced as a whole by each discovery. */
const applyDiscovery = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const { serverId, rows } = rowsOf(event);
  await DELETE_TOOLS.write(manager, { serverId });
  if (rows.length === 0) return;
  await manager.createQueryBuilder().insert().into(ToolRow).values(rows).updateEntity(false).execute();
};

/** A rebuild keeps each server's last discovery and inserts them all at the end. */
const replayDiscoveries = (): ProjectionReplay => {
  const latest = new Map<string, ToolRow[]>();
  return {
    apply: async (event) => {
      const { serverId, rows } = rowsOf(event);
      latest.set(serverId, rows);
    },
    write: (manager) => insertRows(manager, ToolRow, [...latest.values()].flat()),
  };
};

export const toolProjection: InlineProjection = {
  name: 'tools',
  eventTypes: new Set<string>(['ServerToolsDiscovered']),
  tables: [ToolRow],
  apply: applyDiscovery,
  replay: replayDiscoveries,
};
