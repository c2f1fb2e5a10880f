import type { EntityManager } from 'typeorm';
import type { DiscoveredTool } from '../../../domain/server/events';
import { compiledQuery, selectRows } from '../../persistence/compiled-query';
import { ToolRow } from './tool.entity';

// Read for every profile's effective tools (each tool patch answers with them): a prepared
// statement per server costs less than building an `IN` list of variable length.
const OF_SERVER = compiledQuery<{ serverId: string }>((manager, p) =>
  selectRows(manager, ToolRow, 't').where('t.serverId = :serverId', { serverId: p.serverId }).orderBy('t.name', 'ASC'),
);

/** A discovered tool as the API shows it. */
export type ToolView = {
  name: string;
  title: string | null;
  description: string | null;
  inputSchema: unknown;
  outputSchema: unknown;
  annotations: unknown;
  discoveredAt: string;
};

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

export const toolView = (row: ToolRow): ToolView => ({
  name: row.name,
  title: row.title,
  description: row.description,
  inputSchema: JSON.parse(row.inputSchema),
  outputSchema: parse(row.outputSchema),
  annotations: parse(row.annotations),
  discoveredAt: row.discoveredAt,
});

/** The typed reads of the `tools` read model. */
export class ToolReadModel {
  constructor(private readonly manager: EntityManager) {}

  async listForServer(serverId: string): Promise<ToolView[]> {
    return (await this.forServers([serverId])).map(toolView);
  }

  /** The server's tools as last discovered, as the upstream defined them. */
  async definitionsForServer(serverId: string): Promise<DiscoveredTool[]> {
    return (await this.forServers([serverId])).map((row) => ({
      name: row.name,
      ...(row.title === null ? {} : { title: row.title }),
      ...(row.description === null ? {} : { description: row.description }),
      inputSchema: JSON.parse(row.inputSchema) as Record<string, unknown>,
      ...(row.outputSchema === null ? {} : { outputSchema: JSON.parse(row.outputSchema) as Record<string, unknown> }),
      ...(row.annotations === null ? {} : { annotations: JSON.parse(row.annotations) as Record<string, unknown> }),
    }));
  }

  /** The tools of these servers, by server then name. */
  async forServers(serverIds: readonly string[]): Promise<ToolRow[]> {
    const rows: ToolRow[] = [];
    for (const serverId of [...new Set(serverIds)].sort()) rows.push(...(await OF_SERVER.all<ToolRow>(this.manager, { serverId })));
    return rows;
  }
}
