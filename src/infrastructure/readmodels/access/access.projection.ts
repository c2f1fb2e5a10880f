import { ACCESS_EVENT_TYPES, type AccessEvent } from '../../../domain/access/events';
import { keyedRowsProjection } from '../keyed-rows';
import { AccessRow } from './access.entity';

/** `resource_access`: one row per profile or server whose access was ever set, replaced by each change. */
export const accessProjection = keyedRowsProjection({
  name: 'resource_access',
  eventTypes: ACCESS_EVENT_TYPES,
  tables: { access: { entity: AccessRow, key: ['kind', 'resourceId'] } },
  apply: async ({ access }, event) => {
    const { data } = { type: event.type, data: event.data } as AccessEvent;
    await access.upsert({
      kind: data.kind,
      resourceId: data.resourceId,
      ownerId: data.ownerId,
      visibility: data.visibility,
      sharedWithUsers: JSON.stringify(data.sharedWithUsers),
      sharedWithRoles: JSON.stringify(data.sharedWithRoles),
      version: event.version,
    });
  },
});
