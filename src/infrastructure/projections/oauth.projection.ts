import type { OAuthEvent } from '../../domain/oauth/events';
import { OAUTH_EVENT_TYPES } from '../../domain/oauth/events';
import type { InlineProjection, Sql, StoredEvent } from '../eventstore';
import { json } from '../eventstore';

/**
 * `oauth_client_registrations` and `oauth_tokens`, one row per server. Upserts keyed on the
 * server id, so a replay gives the same rows. Revoked tokens lose their (sealed) values: the
 * read model keeps why and when, the log keeps the audit trail.
 */
const applyOAuthEvent = (event: StoredEvent, sql: Sql): void => {
  const domainEvent = { type: event.type, data: event.data } as OAuthEvent;
  switch (domainEvent.type) {
    case 'OAuthClientRegistered': {
      const d = domainEvent.data;
      sql.run(
        `INSERT INTO oauth_client_registrations (server_id, issuer, client_id, client_secret, client_secret_expires_at, method,
           redirect_uri, token_endpoint_auth_method, stale, version, registered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT (server_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
           client_secret = excluded.client_secret, client_secret_expires_at = excluded.client_secret_expires_at,
           method = excluded.method, redirect_uri = excluded.redirect_uri,
           token_endpoint_auth_method = excluded.token_endpoint_auth_method, stale = 0, version = excluded.version,
           registered_at = excluded.registered_at`,
        d.serverId, d.issuer, d.clientId, d.clientSecret === null ? null : json(d.clientSecret), d.clientSecretExpiresAt, d.method,
        d.redirectUri, d.tokenEndpointAuthMethod, event.version, event.recordedAt,
      );
      return;
    }
    case 'OAuthTokensGranted': {
      const d = domainEvent.data;
      sql.run(
        `INSERT INTO oauth_tokens (server_id, client_id, issuer, token_endpoint, revocation_endpoint, resource, access_token,
           refresh_token, expires_at, scopes, status, status_detail, granted_at, refreshed_at, revoked_at, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', NULL, ?, NULL, NULL, ?)
         ON CONFLICT (server_id) DO UPDATE SET client_id = excluded.client_id, issuer = excluded.issuer,
           token_endpoint = excluded.token_endpoint, revocation_endpoint = excluded.revocation_endpoint,
           resource = excluded.resource, access_token = excluded.access_token, refresh_token = excluded.refresh_token,
           expires_at = excluded.expires_at, scopes = excluded.scopes, status = 'active', status_detail = NULL,
           granted_at = excluded.granted_at, refreshed_at = NULL, revoked_at = NULL, version = excluded.version`,
        d.serverId, d.clientId, d.server.issuer, d.server.tokenEndpoint, d.server.revocationEndpoint, d.resource,
        json(d.accessToken), d.refreshToken === null ? null : json(d.refreshToken), d.expiresAt, json(d.scopes),
        event.recordedAt, event.version,
      );
      return;
    }
    case 'OAuthTokensRefreshed': {
      const d = domainEvent.data;
      sql.run(
        `UPDATE oauth_tokens SET access_token = ?, refresh_token = ?, expires_at = ?, scopes = ?, refreshed_at = ?, version = ?
         WHERE server_id = ? AND status = 'active'`,
        json(d.accessToken), d.refreshToken === null ? null : json(d.refreshToken), d.expiresAt, json(d.scopes),
        event.recordedAt, event.version, d.serverId,
      );
      return;
    }
    case 'OAuthTokensRevoked': {
      const d = domainEvent.data;
      if (d.clientRejected) {
        sql.run(
          `UPDATE oauth_client_registrations SET stale = 1, version = ?
           WHERE server_id = ? AND client_id = (SELECT client_id FROM oauth_tokens WHERE server_id = ?)`,
          event.version, d.serverId, d.serverId,
        );
      }
      sql.run(
        `UPDATE oauth_tokens SET access_token = NULL, refresh_token = NULL, status = ?, status_detail = ?, revoked_at = ?, version = ?
         WHERE server_id = ? AND status = 'active'`,
        d.reason, d.detail, event.recordedAt, event.version, d.serverId,
      );
      return;
    }
  }
};

export const oauthProjection: InlineProjection = {
  name: 'oauth',
  eventTypes: new Set<string>(OAUTH_EVENT_TYPES),
  tables: ['oauth_tokens', 'oauth_client_registrations'],
  apply: applyOAuthEvent,
};
