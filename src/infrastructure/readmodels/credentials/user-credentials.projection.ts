import type { EntityManager } from 'typeorm';
import { USER_CREDENTIALS_EVENT_TYPES, type UserCredentialsEvent } from '../../../domain/credentials/events';
import type { OAuthTokenSet } from '../../../domain/oauth/events';
import { assertNever } from '../../../domain/shared';
import type { InlineProjection, StoredEvent } from '../../eventstore';
import { UserCredentialsRow } from './user-credentials.entity';

const GRANT_COLUMNS = ['oauth_access_token', 'oauth_refresh_token', 'oauth_expires_at', 'oauth_scopes', 'oauth_granted_at', 'oauth_refreshed_at', 'version', 'updated_at'];

const tokenColumns = (tokens: OAuthTokenSet) => ({
  oauthAccessToken: JSON.stringify(tokens.accessToken),
  oauthRefreshToken: tokens.refreshToken === null ? null : JSON.stringify(tokens.refreshToken),
  oauthExpiresAt: tokens.expiresAt,
  oauthScopes: JSON.stringify(tokens.scopes),
});

const NO_GRANT = { oauthAccessToken: null, oauthRefreshToken: null, oauthExpiresAt: null, oauthScopes: null, oauthGrantedAt: null, oauthRefreshedAt: null };

const applyCredentialsEvent = async (event: StoredEvent, manager: EntityManager): Promise<void> => {
  const domainEvent = { type: event.type, data: event.data } as UserCredentialsEvent;
  const repository = manager.getRepository(UserCredentialsRow);
  const { serverId, userId } = domainEvent.data;
  switch (domainEvent.type) {
    case 'UserCredentialsSet': {
      const { bearerToken, env } = domainEvent.data;
      // Only these columns: a grant the user holds stays.
      await repository.upsert(
        { serverId, userId, bearerToken: bearerToken === null ? null : JSON.stringify(bearerToken), env: JSON.stringify(env), version: event.version, updatedAt: event.recordedAt },
        ['serverId', 'userId'],
      );
      return;
    }
    case 'UserCredentialsRemoved':
      await repository.delete({ serverId, userId });
      return;
    case 'UserOAuthTokensGranted':
      // A user with no other credentials gets a row with none; one with some keeps them.
      await manager
        .createQueryBuilder()
        .insert()
        .into(UserCredentialsRow)
        .values({
          serverId, userId, bearerToken: null, env: '{}', ...tokenColumns(domainEvent.data),
          oauthGrantedAt: event.recordedAt, oauthRefreshedAt: null, version: event.version, updatedAt: event.recordedAt,
        })
        .orUpdate(GRANT_COLUMNS, ['server_id', 'user_id'])
        .updateEntity(false)
        .execute();
      return;
    case 'UserOAuthTokensRefreshed':
      await repository.update({ serverId, userId }, { ...tokenColumns(domainEvent.data), oauthRefreshedAt: event.recordedAt, version: event.version, updatedAt: event.recordedAt });
      return;
    case 'UserOAuthTokensRevoked':
      await repository.update({ serverId, userId }, { ...NO_GRANT, version: event.version, updatedAt: event.recordedAt });
      // Nothing else stored: the row goes, as after a removal.
      await manager
        .createQueryBuilder()
        .delete()
        .from(UserCredentialsRow)
        .where(`server_id = :serverId AND user_id = :userId AND bearer_token IS NULL AND env = '{}'`, { serverId, userId })
        .execute();
      return;
    default:
      return assertNever(domainEvent);
  }
};

/** `user_credentials`: one row per (server, user) with credentials or a grant; removed ones are gone. */
export const userCredentialsProjection: InlineProjection = {
  name: 'user_credentials',
  eventTypes: new Set<string>(USER_CREDENTIALS_EVENT_TYPES),
  tables: [UserCredentialsRow],
  apply: applyCredentialsEvent,
};
