import type { ApiKeyEvent } from '../../domain/apikey/events';
import { APIKEY_EVENT_TYPES } from '../../domain/apikey/events';
import type { InlineProjection, Sql, StoredEvent } from '../eventstore';
import { json } from '../eventstore';

const applyApiKeyEvent = (event: StoredEvent, sql: Sql): void => {
  const domainEvent = { type: event.type, data: event.data } as ApiKeyEvent;
  switch (domainEvent.type) {
    case 'ApiKeyIssued': {
      const { keyId, name, hash, prefix, profiles, expiresAt } = domainEvent.data;
      sql.run(
        `INSERT INTO api_keys (id, name, key_hash, prefix, profiles, status, expires_at, revoked_at, version, created_at)
         VALUES (?, ?, ?, ?, ?, 'active', ?, NULL, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, key_hash = excluded.key_hash, prefix = excluded.prefix,
           profiles = excluded.profiles, status = 'active', expires_at = excluded.expires_at, revoked_at = NULL,
           version = excluded.version`,
        keyId, name, hash, prefix, json(profiles), expiresAt, event.version, event.recordedAt,
      );
      return;
    }
    case 'ApiKeyRevoked':
      sql.run(`UPDATE api_keys SET status = 'revoked', revoked_at = ?, version = ? WHERE id = ?`, event.recordedAt, event.version, domainEvent.data.keyId);
      return;
  }
};

export const apiKeyProjection: InlineProjection = {
  name: 'api_keys',
  eventTypes: new Set<string>(APIKEY_EVENT_TYPES),
  tables: ['api_keys'],
  apply: applyApiKeyEvent,
};
