import type { EntityManager } from 'typeorm';
import { canUse, PRIVATE_TO_ADMINS, type Access, type ResourceKind, type Viewer } from '../../../domain/access';
import type { Role } from '../../../domain/user/events';
import { AccessRow } from './access.entity';

const accessOf = (row: AccessRow | null | undefined): Access =>
  row
    ? { ownerId: row.ownerId, visibility: row.visibility, sharedWithUsers: JSON.parse(row.sharedWithUsers) as string[], sharedWithRoles: JSON.parse(row.sharedWithRoles) as Role[] }
    : PRIVATE_TO_ADMINS;

/** The typed reads of the `resource_access` read model. */
export class AccessReadModel {
  constructor(private readonly manager: EntityManager) {}

  async of(kind: ResourceKind, resourceId: string): Promise<Access & { version: number }> {
    const row = await this.manager.getRepository(AccessRow).findOneBy({ kind, resourceId });
    return { ...accessOf(row), version: row?.version ?? 0 };
  }

  async canUse(viewer: Viewer, kind: ResourceKind, resourceId: string): Promise<boolean> {
    if (viewer.kind === 'admin' || viewer.role !== 'member') return true;
    return canUse(viewer, await this.of(kind, resourceId));
  }

  /** The ids among `resourceIds` that `viewer` may see, in their order. */
  async visible(viewer: Viewer, kind: ResourceKind, resourceIds: readonly string[]): Promise<string[]> {
    if (viewer.kind === 'admin' || viewer.role !== 'member') return [...resourceIds];
    const rows = new Map((await this.manager.getRepository(AccessRow).findBy({ kind })).map((row) => [row.resourceId, row]));
    return resourceIds.filter((id) => canUse(viewer, accessOf(rows.get(id))));
  }
}
