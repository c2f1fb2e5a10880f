import type { EntityManager } from 'typeorm';
import { PAT_EVENT_TYPES, type PersonalAccessTokenEvent } from '../../../domain/pat/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { PersonalAccessTokenRow } from './pat.entity';

const applyTokenEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as PersonalAccessTokenEvent;
  const repository = manager.getRepository(PersonalAccessTokenRow);
  switch (domainEvent.type) {
    case 'PersonalAccessTokenIssued': {
      const { tokenId, userId, name, hash, prefix, expiresAt } = domainEvent.data;
      await repository.upsert(
        { id: tokenId, userId, name, tokenHash: hash, prefix, status: 'active', expiresAt, revokedAt: null, version: event.version, createdAt: event.recordedAt },
        ['id'],
      );
      return;
    }
    case 'PersonalAccessTokenRevoked':
      await repository.update({ id: domainEvent.data.tokenId }, { status: 'revoked', revokedAt: event.recordedAt, version: event.version });
      return;
    default:
      return assertNever(domainEvent);
  }
};

export const patProjection: InlineProjection = {
  name: 'personal_access_tokens',
  eventTypes: new Set<string>(PAT_EVENT_TYPES),
  tables: [PersonalAccessTokenRow],
  apply: applyTokenEvent,
};
