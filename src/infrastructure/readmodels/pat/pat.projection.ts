import { PAT_EVENT_TYPES, type PersonalAccessTokenEvent } from '../../../domain/pat/events';
import { assertNever } from '../../../domain/shared';
import { keyedRowsProjection } from '../keyed-rows';
import { PersonalAccessTokenRow } from './pat.entity';

/** `personal_access_tokens`: one row per token, upserted on issue (every column), revoked in place. */
export const patProjection = keyedRowsProjection({
  name: 'personal_access_tokens',
  eventTypes: PAT_EVENT_TYPES,
  tables: { tokens: { entity: PersonalAccessTokenRow, key: ['id'] } },
  apply: async ({ tokens }, event) => {
    const domainEvent = { type: event.type, data: event.data } as PersonalAccessTokenEvent;
    switch (domainEvent.type) {
      case 'PersonalAccessTokenIssued': {
        const { tokenId, userId, name, hash, prefix, expiresAt } = domainEvent.data;
        return tokens.upsert({
          id: tokenId, userId, name, tokenHash: hash, prefix, status: 'active', expiresAt, revokedAt: null, version: event.version, createdAt: event.recordedAt,
        });
      }
      case 'PersonalAccessTokenRevoked':
        return tokens.update({ id: domainEvent.data.tokenId }, { status: 'revoked', revokedAt: event.recordedAt, version: event.version });
      default:
        return assertNever(domainEvent);
    }
  },
});
