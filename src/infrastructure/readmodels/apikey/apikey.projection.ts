import type { EntityManager } from 'typeorm';
import type { ApiKeyEvent } from '../../../domain/apikey/events';
import { APIKEY_EVENT_TYPES } from '../../../domain/apikey/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { compiledQuery } from '../../persistence/compiled-query';
import { ApiKeyRow } from './apikey.entity';

const ISSUE = compiledQuery<Omit<ApiKeyRow, 'status' | 'revokedAt'>>((manager, p) =>
  manager
    .createQueryBuilder()
    .insert()
    .into(ApiKeyRow)
    .values({
      id: p.id, name: p.name, keyHash: p.keyHash, prefix: p.prefix, profiles: p.profiles, status: 'active', expiresAt: p.expiresAt, revokedAt: null, ownerId: p.ownerId,
      version: p.version, createdAt: p.createdAt,
    })
    .orUpdate(['name', 'key_hash', 'prefix', 'profiles', 'status', 'expires_at', 'revoked_at', 'owner_id', 'version'], ['id'])
    .updateEntity(false),
);
const REVOKE = compiledQuery<{ keyId: string; at: string; version: number }>((manager, p) =>
  manager.createQueryBuilder().update(ApiKeyRow).set({ status: 'revoked', revokedAt: p.at, version: p.version }).where('id = :keyId', { keyId: p.keyId }).updateEntity(false),
);

const applyApiKeyEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as ApiKeyEvent;
  switch (domainEvent.type) {
    case 'ApiKeyIssued': {
      const { keyId, name, hash, prefix, profiles, expiresAt, ownerId } = domainEvent.data;
      await ISSUE.write(manager, { id: keyId, name, keyHash: hash, prefix, profiles: JSON.stringify(profiles), expiresAt, ownerId: ownerId ?? null, version: event.version, createdAt: event.recordedAt });
      return;
    }
    case 'ApiKeyRevoked':
      await REVOKE.write(manager, { keyId: domainEvent.data.keyId, at: event.recordedAt, version: event.version });
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
