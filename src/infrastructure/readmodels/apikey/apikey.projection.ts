import type { EntityManager } from 'typeorm';
import type { ApiKeyEvent } from '../../../domain/apikey/events';
import { APIKEY_EVENT_TYPES } from '../../../domain/apikey/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { ApiKeyRow } from './apikey.entity';

const applyApiKeyEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as ApiKeyEvent;
  switch (domainEvent.type) {
    case 'ApiKeyIssued': {
      const { keyId, name, hash, prefix, profiles, expiresAt } = domainEvent.data;
      await manager
        .createQueryBuilder()
        .insert()
        .into(ApiKeyRow)
        .values({
          id: keyId, name, keyHash: hash, prefix, profiles: JSON.stringify(profiles), status: 'active', expiresAt, revokedAt: null,
          version: event.version, createdAt: event.recordedAt,
        })
        .orUpdate(['name', 'key_hash', 'prefix', 'profiles', 'status', 'expires_at', 'revoked_at', 'version'], ['id'])
        .updateEntity(false)
        .execute();
      return;
    }
    case 'ApiKeyRevoked':
      await manager
        .createQueryBuilder()
        .update(ApiKeyRow)
        .set({ status: 'revoked', revokedAt: event.recordedAt, version: event.version })
        .where('id = :keyId', domainEvent.data)
        .updateEntity(false)
        .execute();
      return;
    default:
      return assertNever(domainEvent);
  }
};

export const apiKeyProjection: InlineProjection = {
  name: 'api_keys',
  eventTypes: new Set<string>(APIKEY_EVENT_TYPES),
  tables: [ApiKeyRow],
  apply: applyApiKeyEvent,
};
