import { OAUTH_EVENT_TYPES, type OAuthEvent } from '../../../domain/oauth/events';
import { assertNever } from '../../../domain/shared';
import { keyedRowsProjection } from '../keyed-rows';
import { OAuthRegistrationRow, OAuthTokenRow } from './oauth.entities';

const json = (value: unknown): string => JSON.stringify(value);
const jsonOrNull = (value: unknown): string | null => (value === null ? null : json(value));

/**
 * `oauth_client_registrations` and `oauth_tokens`, one row per server. Upserts keyed on the
 * server id, so a replay gives the same rows. Revoked tokens lose their (sealed) values: the
 * read model keeps why and when, the log keeps the audit trail.
 */
export const oauthProjection = keyedRowsProjection({
  name: 'oauth',
  eventTypes: OAUTH_EVENT_TYPES,
  tables: { tokens: { entity: OAuthTokenRow, key: ['serverId'] }, registrations: { entity: OAuthRegistrationRow, key: ['serverId'] } },
  apply: async ({ tokens, registrations }, event) => {
    const domainEvent = { type: event.type, data: event.data } as OAuthEvent;
    const activeTokens = { serverId: domainEvent.data.serverId, status: 'active' };
    switch (domainEvent.type) {
      case 'OAuthClientRegistered': {
        const d = domainEvent.data;
        return registrations.upsert({
          serverId: d.serverId, issuer: d.issuer, clientId: d.clientId, clientSecret: jsonOrNull(d.clientSecret),
          clientSecretExpiresAt: d.clientSecretExpiresAt, method: d.method, redirectUri: d.redirectUri,
          tokenEndpointAuthMethod: d.tokenEndpointAuthMethod, stale: 0, version: event.version, registeredAt: event.recordedAt,
        });
      }
      case 'OAuthTokensGranted': {
        const d = domainEvent.data;
        return tokens.upsert({
          serverId: d.serverId, clientId: d.clientId, issuer: d.server.issuer, tokenEndpoint: d.server.tokenEndpoint,
          revocationEndpoint: d.server.revocationEndpoint, resource: d.resource, accessToken: json(d.accessToken),
          refreshToken: jsonOrNull(d.refreshToken), expiresAt: d.expiresAt, scopes: json(d.scopes), status: 'active', statusDetail: null,
          grantedAt: event.recordedAt, refreshedAt: null, revokedAt: null, version: event.version,
        });
      }
      case 'OAuthTokensRefreshed': {
        const d = domainEvent.data;
        return tokens.update(activeTokens, {
          accessToken: json(d.accessToken), refreshToken: jsonOrNull(d.refreshToken), expiresAt: d.expiresAt, scopes: json(d.scopes),
          refreshedAt: event.recordedAt, version: event.version,
        });
      }
      case 'OAuthTokensRevoked': {
        const d = domainEvent.data;
        if (d.clientRejected) {
          const held = await tokens.find({ serverId: d.serverId });
          if (held !== null) await registrations.update({ serverId: d.serverId, clientId: held.clientId }, { stale: 1, version: event.version });
        }
        return tokens.update(activeTokens, { accessToken: null, refreshToken: null, status: d.reason, statusDetail: d.detail, revokedAt: event.recordedAt, version: event.version });
      }
      case 'OAuthClientRejected':
        return registrations.update({ serverId: domainEvent.data.serverId, clientId: domainEvent.data.clientId }, { stale: 1, version: event.version });
      default:
        return assertNever(domainEvent);
    }
  },
});
