import { In, Not, type EntityManager } from 'typeorm';
import { compiledQuery, selectRows } from '../../persistence/compiled-query';
import { ServerRow } from './server.entity';

// Asked inside every append that names a server.
const NAME_HOLDER = compiledQuery<{ name: string }>((manager, p) =>
  manager.createQueryBuilder(ServerRow, 's').select('s.id', 'id').where(`s.name = :name AND s.status = 'active'`, { name: p.name }),
);

// Read for every REST write on a server (to find it, and to answer with it). The status in the
// SQL, not bound: only then can SQLite use the partial index on active names.
const BY_ID = compiledQuery<{ id: string }>((manager, p) => selectRows(manager, ServerRow, 's').where('s.id = :id', { id: p.id }));
const ACTIVE_BY_NAME = compiledQuery<{ name: string }>((manager, p) => selectRows(manager, ServerRow, 's').where(`s.name = :name AND s.status = 'active'`, { name: p.name }));
// Read for every view of a profile (each REST write on one answers with it): one prepared
// statement per attached server costs less than building an `IN` list of variable length.
const NAME_BY_ID = compiledQuery<{ id: string }>((manager, p) => manager.createQueryBuilder(ServerRow, 's').select('s.name', 'name').where('s.id = :id', { id: p.id }));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The typed reads of the `servers` read model; nothing else names its table. */
export class ServerReadModel {
  constructor(private readonly manager: EntityManager) {}

  /** Servers are addressed by id or by (active) name; removed ones only by id, and only when asked. */
  async find(idOrName: string, options: { includeRemoved?: boolean } = {}): Promise<ServerRow | null> {
    if (UUID.test(idOrName)) {
      const byId = await this.byId(idOrName.toLowerCase());
      if (byId && (byId.status === 'active' || options.includeRemoved)) return byId;
    }
    return (await ACTIVE_BY_NAME.one<ServerRow>(this.manager, { name: idOrName })) ?? null;
  }

  /** By id, whatever its status. */
  async byId(serverId: string): Promise<ServerRow | null> {
    return (await BY_ID.one<ServerRow>(this.manager, { id: serverId })) ?? null;
  }

  list(options: { includeRemoved?: boolean } = {}): Promise<ServerRow[]> {
    return this.manager.getRepository(ServerRow).find({
      where: options.includeRemoved ? {} : { status: Not('removed') },
      order: { name: 'ASC', createdAt: 'ASC' },
    });
  }

  /** The active servers among `ids`, in no particular order. */
  async activeByIds(ids: readonly string[]): Promise<ServerRow[]> {
    if (ids.length === 0) return [];
    return this.manager.getRepository(ServerRow).findBy({ id: In([...ids]), status: 'active' });
  }

  /** Names by id, removed servers included (a profile's history names them as they were). */
  async namesByIds(ids: readonly string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const id of new Set(ids)) {
      const row = await NAME_BY_ID.one<{ name: string }>(this.manager, { id });
      if (row !== undefined) names.set(id, row.name);
    }
    return names;
  }

  /** The active server that carries `name`, if any. */
  async nameHolder(name: string): Promise<string | null> {
    return (await NAME_HOLDER.one<{ id: string }>(this.manager, { name }))?.id ?? null;
  }
}
