import type { EntityManager } from 'typeorm';
import type { OAuthEvent } from '../../../domain/oauth/events';
import { OAUTH_EVENT_TYPES } from '../../../domain/oauth/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { OAuthRegistrationRow, OAuthTokenRow } from './oauth.entities';

const json = (value: unknown): string => JSON.stringify(value);
const jsonOrNull = (value: unknown): string | null => (value === null ? null : json(value));

/**
 * `oauth_client_registrations` and `oauth_tokens`, one row per server. Upserts keyed on the
 * server id, so a replay gives the same rows. Revoked tokens lose their (sealed) values: the
 * read model keeps why and when, the log keeps the audit trail.
 */
const applyOAuthEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as OAuthEvent;
  switch (domainEvent.type) {
    case 'OAuthClientRegistered': {
      const d = domainEvent.data;
      await manager
        .createQueryBuilder()
        .insert()
        .into(OAuthRegistrationRow)
        .values({
          serverId: d.serverId, issuer: d.issuer, clientId: d.clientId, clientSecret: jsonOrNull(d.clientSecret),
          clientSecretExpiresAt: d.clientSecretExpiresAt, method: d.method, redirectUri: d.redirectUri,
          tokenEndpointAuthMethod: d.tokenEndpointAuthMethod, stale: 0, version: event.version, registeredAt: event.recordedAt,
        })
        .orUpdate(
          ['issuer', 'client_id', 'client_secret', 'client_secret_expires_at', 'method', 'redirect_uri', 'token_endpoint_auth_method', 'stale', 'version', 'registered_at'],
          ['server_id'],
        )
        .updateEntity(false)
        .execute();
      return;
    }
    case 'OAuthTokensGranted': {
      const d = domainEvent.data;
      await manager
        .createQueryBuilder()
        .insert()
        .into(OAuthTokenRow)
        .values({
          serverId: d.serverId, clientId: d.clientId, issuer: d.server.issuer, tokenEndpoint: d.server.tokenEndpoint,
          revocationEndpoint: d.server.revocationEndpoint, resource: d.resource, accessToken: json(d.accessToken),
          refreshToken: jsonOrNull(d.refreshToken), expiresAt: d.expiresAt, scopes: json(d.scopes), status: 'active', statusDetail: null,
          grantedAt: event.recordedAt, refreshedAt: null, revokedAt: null, version: event.version,
        })
        .orUpdate(
          ['client_id', 'issuer', 'token_endpoint', 'revocation_endpoint', 'resource', 'access_token', 'refresh_token', 'expires_at', 'scopes',
            'status', 'status_detail', 'granted_at', 'refreshed_at', 'revoked_at', 'version'],
          ['server_id'],
        )
        .updateEntity(false)
        .execute();
      return;
    }
    case 'OAuthTokensRefreshed': {
      const d = domainEvent.data;
      await manager
        .createQueryBuilder()
        .update(OAuthTokenRow)
        .set({
          accessToken: json(d.accessToken), refreshToken: jsonOrNull(d.refreshToken), expiresAt: d.expiresAt, scopes: json(d.scopes),
          refreshedAt: event.recordedAt, version: event.version,
        })
        .where(`server_id = :serverId AND status = 'active'`, { serverId: d.serverId })
        .updateEntity(false)
        .execute();
      return;
    }
    case 'OAuthTokensRevoked': {
      const d = domainEvent.data;
      if (d.clientRejected) {
        const tokens = await manager.getRepository(OAuthTokenRow).findOneBy({ serverId: d.serverId });
        if (tokens !== null) {
          await manager
            .createQueryBuilder()
            .update(OAuthRegistrationRow)
            .set({ stale: 1, version: event.version })
            .where('server_id = :serverId AND client_id = :clientId', { serverId: d.serverId, clientId: tokens.clientId })
            .updateEntity(false)
            .execute();
        }
      }
      await manager
        .createQueryBuilder()
        .update(OAuthTokenRow)
        .set({ accessToken: null, refreshToken: null, status: d.reason, statusDetail: d.detail, revokedAt: event.recordedAt, version: event.version })
        .where(`server_id = :serverId AND status = 'active'`, { serverId: d.serverId })
        .updateEntity(false)
        .execute();
      return;
    }
    case 'OAuthClientRejected': {
      const d = domainEvent.data;
      await manager
        .createQueryBuilder()
        .update(OAuthRegistrationRow)
        .set({ stale: 1, version: event.version })
        .where('server_id = :serverId AND client_id = :clientId', { serverId: d.serverId, clientId: d.clientId })
        .updateEntity(false)
        .execute();
      return;
    }
    default:
      return assertNever(domainEvent);
  }
};

export const oauthProjection: InlineProjection = {
  name: 'oauth',
  eventTypes: new Set<string>(OAUTH_EVENT_TYPES),
  tables: [OAuthTokenRow, OAuthRegistrationRow],
  apply: applyOAuthEvent,
};
