import { USER_CREDENTIALS_EVENT_TYPES, type UserCredentialsEvent } from '../../../domain/credentials/events';
import type { OAuthTokenSet } from '../../../domain/oauth/events';
import { assertNever } from '../../../domain/shared';
import { keyedRowsProjection } from '../keyed-rows';
import { UserCredentialsRow } from './user-credentials.entity';

const tokenColumns = (tokens: OAuthTokenSet) => ({
  oauthAccessToken: JSON.stringify(tokens.accessToken),
  oauthRefreshToken: tokens.refreshToken === null ? null : JSON.stringify(tokens.refreshToken),
  oauthExpiresAt: tokens.expiresAt,
  oauthScopes: JSON.stringify(tokens.scopes),
});

const NO_GRANT = { oauthAccessToken: null, oauthRefreshToken: null, oauthExpiresAt: null, oauthScopes: null, oauthGrantedAt: null, oauthRefreshedAt: null };

/** `user_credentials`: one row per (server, user) with credentials or a grant; removed ones are gone. */
export const userCredentialsProjection = keyedRowsProjection({
  name: 'user_credentials',
  eventTypes: USER_CREDENTIALS_EVENT_TYPES,
  tables: { credentials: { entity: UserCredentialsRow, key: ['serverId', 'userId'] } },
  apply: async ({ credentials }, event) => {
    const domainEvent = { type: event.type, data: event.data } as UserCredentialsEvent;
    const { serverId, userId } = domainEvent.data;
    const touch = { version: event.version, updatedAt: event.recordedAt };
    switch (domainEvent.type) {
      case 'UserCredentialsSet': {
        const { bearerToken, env } = domainEvent.data;
        // Only these columns: a grant the user holds stays.
        return credentials.upsert(
          { serverId, userId, bearerToken: bearerToken === null ? null : JSON.stringify(bearerToken), env: JSON.stringify(env), ...NO_GRANT, ...touch },
          ['bearerToken', 'env', 'version', 'updatedAt'],
        );
      }
      case 'UserCredentialsRemoved':
        return credentials.delete({ serverId, userId });
      case 'UserOAuthTokensGranted':
        // A user with no other credentials gets a row with none; one with some keeps them.
        return credentials.upsert(
          { serverId, userId, bearerToken: null, env: '{}', ...tokenColumns(domainEvent.data), oauthGrantedAt: event.recordedAt, oauthRefreshedAt: null, ...touch },
          ['oauthAccessToken', 'oauthRefreshToken', 'oauthExpiresAt', 'oauthScopes', 'oauthGrantedAt', 'oauthRefreshedAt', 'version', 'updatedAt'],
        );
      case 'UserOAuthTokensRefreshed':
        return credentials.update({ serverId, userId }, { ...tokenColumns(domainEvent.data), oauthRefreshedAt: event.recordedAt, ...touch });
      case 'UserOAuthTokensRevoked':
        await credentials.update({ serverId, userId }, { ...NO_GRANT, ...touch });
        // Nothing else stored: the row goes, as after a removal.
        return credentials.delete({ serverId, userId, bearerToken: null, env: '{}' });
      default:
        return assertNever(domainEvent);
    }
  },
});
