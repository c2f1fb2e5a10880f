import { Not } from 'typeorm';
import type { DataSource } from 'typeorm';
import { ServerRow, ToolRow } from '../readmodels/entities';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Servers are addressed by id or by (active) name; removed ones only by id, and only when asked. */
export const findServerRow = async (
  dataSource: DataSource,
  idOrName: string,
  options: { includeRemoved?: boolean } = {},
): Promise<ServerRow | null> => {
  const repository = dataSource.getRepository(ServerRow);
  if (UUID.test(idOrName)) {
    const byId = await repository.findOneBy({ id: idOrName.toLowerCase() });
    if (byId && (byId.status === 'active' || options.includeRemoved)) return byId;
  }
  return repository.findOneBy({ name: idOrName, status: 'active' });
};

export const listServerRows = async (dataSource: DataSource, options: { includeRemoved?: boolean } = {}): Promise<ServerRow[]> =>
  dataSource.getRepository(ServerRow).find({
    where: options.includeRemoved ? {} : { status: Not('removed') },
    order: { name: 'ASC', createdAt: 'ASC' },
  });

export type ToolView = {
  name: string;
  title: string | null;
  description: string | null;
  inputSchema: unknown;
  outputSchema: unknown;
  annotations: unknown;
  discoveredAt: string;
};

export const listServerTools = async (dataSource: DataSource, serverId: string): Promise<ToolView[]> => {
  const rows = await dataSource.getRepository(ToolRow).find({ where: { serverId }, order: { name: 'ASC' } });
  return rows.map((row) => ({
    name: row.name,
    title: row.title,
    description: row.description,
    inputSchema: JSON.parse(row.inputSchema),
    outputSchema: row.outputSchema === null ? null : JSON.parse(row.outputSchema),
    annotations: row.annotations === null ? null : JSON.parse(row.annotations),
    discoveredAt: row.discoveredAt,
  }));
};
