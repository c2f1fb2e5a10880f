import type { EntityManager } from 'typeorm';
import { USER_CREDENTIALS_EVENT_TYPES, type UserCredentialsEvent } from '../../../domain/credentials/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { UserCredentialsRow } from './user-credentials.entity';

const applyCredentialsEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as UserCredentialsEvent;
  const repository = manager.getRepository(UserCredentialsRow);
  switch (domainEvent.type) {
    case 'UserCredentialsSet': {
      const { serverId, userId, bearerToken, env } = domainEvent.data;
      await repository.upsert(
        { serverId, userId, bearerToken: bearerToken === null ? null : JSON.stringify(bearerToken), env: JSON.stringify(env), version: event.version, updatedAt: event.recordedAt },
        ['serverId', 'userId'],
      );
      return;
    }
    case 'UserCredentialsRemoved':
      await repository.delete({ serverId: domainEvent.data.serverId, userId: domainEvent.data.userId });
      return;
    default:
      return assertNever(domainEvent);
  }
};

/** `user_credentials`: one row per (server, user) with credentials set; removed ones are gone. */
export const userCredentialsProjection: InlineProjection = {
  name: 'user_credentials',
  eventTypes: new Set<string>(USER_CREDENTIALS_EVENT_TYPES),
  tables: [UserCredentialsRow],
  apply: applyCredentialsEvent,
};
