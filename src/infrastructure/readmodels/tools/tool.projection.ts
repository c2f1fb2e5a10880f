import type { EntityManager } from 'typeorm';
import type { ServerToolsDiscovered } from '../../../domain/server/events';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { compiledQuery } from '../../persistence/compiled-query';
import { ToolRow } from './tool.entity';

const DELETE_TOOLS = compiledQuery<{ serverId: string }>((manager, p) =>
  manager.createQueryBuilder().delete().from(ToolRow).where('server_id = :serverId', { serverId: p.serverId }),
);

const json = (value: unknown): string => JSON.stringify(value);

/** A server's tools are replaced as a whole by each discovery. */
const applyDiscovery = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const { serverId, tools } = (event.data as ServerToolsDiscovered['data']);
  await DELETE_TOOLS.write(manager, { serverId });
  if (tools.length === 0) return;
  await manager
    .createQueryBuilder()
    .insert()
    .into(ToolRow)
    .values(
      tools.map((tool) => ({
        serverId, name: tool.name, title: tool.title ?? null, description: tool.description ?? null, inputSchema: json(tool.inputSchema),
        outputSchema: tool.outputSchema === undefined ? null : json(tool.outputSchema),
        annotations: tool.annotations === undefined ? null : json(tool.annotations), discoveredAt: event.recordedAt,
      })),
    )
    .updateEntity(false)
    .execute();
};

export const toolProjection: InlineProjection = {
  name: 'tools',
  eventTypes: new Set<string>(['ServerToolsDiscovered']),
  tables: [ToolRow],
  apply: applyDiscovery,
};
