import type { EntityManager } from 'typeorm';
import { ACCESS_EVENT_TYPES, type AccessEvent } from '../../../domain/access/events';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { AccessRow } from './access.entity';

const applyAccessEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const { data } = { type: event.type, data: event.data } as AccessEvent;
  await manager.getRepository(AccessRow).upsert(
    {
      kind: data.kind,
      resourceId: data.resourceId,
      ownerId: data.ownerId,
      visibility: data.visibility,
      sharedWithUsers: JSON.stringify(data.sharedWithUsers),
      sharedWithRoles: JSON.stringify(data.sharedWithRoles),
      version: event.version,
    },
    ['kind', 'resourceId'],
  );
};

export const accessProjection: InlineProjection = {
  name: 'resource_access',
  eventTypes: new Set<string>(ACCESS_EVENT_TYPES),
  tables: [AccessRow],
  apply: applyAccessEvent,
};
