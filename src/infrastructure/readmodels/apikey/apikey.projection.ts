import type { EntityManager } from 'typeorm';
import type { ApiKeyEvent, ApiKeyIssued } from '../../../domain/apikey/events';
import { APIKEY_EVENT_TYPES } from '../../../domain/apikey/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, ProjectionReplay, StoredEvent } from '../../eventstore';
import { insertRows } from '../../persistence/bulk-insert';
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

/** The row an issue writes (re-issuing the same key keeps its `created_at`). */
const issuedRow = (event: StoredEvent, data: ApiKeyIssued['data']): ApiKeyRow => ({
  id: data.keyId, name: data.name, keyHash: data.hash, prefix: data.prefix, profiles: JSON.stringify(data.profiles), status: 'active', expiresAt: data.expiresAt ?? null,
  revokedAt: null, ownerId: data.ownerId ?? null, version: event.version, createdAt: event.recordedAt,
});

const applyApiKeyEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as ApiKeyEvent;
  switch (domainEvent.type) {
    case 'ApiKeyIssued':
      await ISSUE.write(manager, issuedRow(event, domainEvent.data));
      return;
    case 'ApiKeyRevoked':
      await REVOKE.write(manager, { keyId: domainEvent.data.keyId, at: event.recordedAt, version: event.version });
      return;
    default:
      return assertNever(domainEvent);
  }
};

/** A rebuild keeps the keys' rows in memory, changed as the statements above change the table's, and inserts them at the end. */
const replayApiKeys = (): ProjectionReplay => {
  const rows = new Map<string, ApiKeyRow>();
  return {
    apply: async (event) => {
      const domainEvent = { type: event.type, data: event.data } as ApiKeyEvent;
      switch (domainEvent.type) {
        case 'ApiKeyIssued': {
          const row = issuedRow(event, domainEvent.data);
          const existing = rows.get(row.id);
          rows.set(row.id, existing === undefined ? row : { ...row, createdAt: existing.createdAt });
          return;
        }
        case 'ApiKeyRevoked': {
          const existing = rows.get(domainEvent.data.keyId);
          if (existing === undefined) return;
          existing.status = 'revoked';
          existing.revokedAt = event.recordedAt;
          existing.version = event.version;
          return;
        }
        default:
          return assertNever(domainEvent);
      }
    },
    write: (manager) => insertRows(manager, ApiKeyRow, [...rows.values()]),
  };
};

export const apiKeyProjection: InlineProjection = {
  name: 'api_keys',
  eventTypes: new Set<string>(APIKEY_EVENT_TYPES),
  tables: [ApiKeyRow],
  apply: applyApiKeyEvent,
  replay: replayApiKeys,
};
