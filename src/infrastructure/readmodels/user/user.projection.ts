import { assertNever } from '../../../domain/shared';
import { USER_EVENT_TYPES, type UserEvent } from '../../../domain/user/events';
import { keyedRowsProjection } from '../keyed-rows';
import { UserRow } from './user.entity';

/** `users`: one row per user, upserted on registration (every column), updated by the rest. */
export const userProjection = keyedRowsProjection({
  name: 'users',
  eventTypes: USER_EVENT_TYPES,
  tables: { users: { entity: UserRow, key: ['id'] } },
  apply: async ({ users }, event) => {
    const domainEvent = { type: event.type, data: event.data } as UserEvent;
    const touch = { version: event.version, updatedAt: event.recordedAt };
    const user = { id: domainEvent.data.userId };
    switch (domainEvent.type) {
      case 'UserRegistered': {
        const { userId, name, role, passwordHash } = domainEvent.data;
        return users.upsert({ id: userId, name, role, status: 'enabled', passwordHash, createdAt: event.recordedAt, ...touch });
      }
      case 'UserRenamed':
        return users.update(user, { name: domainEvent.data.name, ...touch });
      case 'UserRoleChanged':
        return users.update(user, { role: domainEvent.data.role, ...touch });
      case 'UserPasswordChanged':
        return users.update(user, { passwordHash: domainEvent.data.passwordHash, ...touch });
      case 'UserDisabled':
        return users.update(user, { status: 'disabled', ...touch });
      case 'UserEnabled':
        return users.update(user, { status: 'enabled', ...touch });
      default:
        return assertNever(domainEvent);
    }
  },
});
