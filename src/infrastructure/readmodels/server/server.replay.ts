import type { EntityManager } from 'typeorm';
import type { ProjectionReplay, StoredEvent } from '../../eventstore';
import { insertRows } from '../../persistence/bulk-insert';
import { ServerRow } from './server.entity';
import { applyServerEvent, type ServerWrites, type Touched, type Upserted } from './server.writes';

/**
 * The server projection's statements (see server.projection.ts) on rows in memory, for a
 * rebuild: each method does to its row what its statement does to the table's, and `write`
 * inserts them at the end.
 */
export class ServerReplay implements ServerWrites, ProjectionReplay {
  private readonly rows = new Map<string, ServerRow>();

  apply(event: StoredEvent): Promise<void> {
    return applyServerEvent(this, event);
  }

  write(manager: EntityManager): Promise<void> {
    return insertRows(manager, ServerRow, [...this.rows.values()]);
  }

  async upsert(values: Upserted): Promise<void> {
    const existing = this.rows.get(values.id);
    this.rows.set(values.id, {
      ...values, status: 'active', removedAt: null, toolsFingerprint: existing?.toolsFingerprint ?? null, toolsDiscoveredAt: existing?.toolsDiscoveredAt ?? null,
      createdAt: existing?.createdAt ?? values.createdAt,
    });
  }

  async update(touched: Touched, columns: Partial<ServerRow>): Promise<void> {
    const existing = this.rows.get(touched.serverId);
    if (existing !== undefined) Object.assign(existing, columns, { version: touched.version, updatedAt: touched.at });
  }

  async approvedTools(serverId: string): Promise<string | null> {
    return this.rows.get(serverId)?.approvedTools ?? null;
  }
}
