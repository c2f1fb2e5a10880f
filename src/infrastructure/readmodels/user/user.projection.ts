import type { EntityManager } from 'typeorm';
import { assertNever } from '../../../domain/shared';
import { USER_EVENT_TYPES, type UserEvent } from '../../../domain/user/events';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { UserRow } from './user.entity';

const applyUserEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as UserEvent;
  const repository = manager.getRepository(UserRow);
  const touch = { version: event.version, updatedAt: event.recordedAt };
  switch (domainEvent.type) {
    case 'UserRegistered': {
      const { userId, name, role, passwordHash } = domainEvent.data;
      await repository.upsert({ id: userId, name, role, status: 'enabled', passwordHash, createdAt: event.recordedAt, ...touch }, ['id']);
      return;
    }
    case 'UserRenamed':
      await repository.update({ id: domainEvent.data.userId }, { name: domainEvent.data.name, ...touch });
      return;
    case 'UserRoleChanged':
      await repository.update({ id: domainEvent.data.userId }, { role: domainEvent.data.role, ...touch });
      return;
    case 'UserPasswordChanged':
      await repository.update({ id: domainEvent.data.userId }, { passwordHash: domainEvent.data.passwordHash, ...touch });
      return;
    case 'UserDisabled':
      await repository.update({ id: domainEvent.data.userId }, { status: 'disabled', ...touch });
      return;
    case 'UserEnabled':
      await repository.update({ id: domainEvent.data.userId }, { status: 'enabled', ...touch });
      return;
    default:
      return assertNever(domainEvent);
  }
};

export const userProjection: InlineProjection = {
  name: 'users',
  eventTypes: new Set<string>(USER_EVENT_TYPES),
  tables: [UserRow],
  apply: applyUserEvent,
};
