import type { AuthorizationServerEndpoints, OAuthClient, OAuthTokenSet } from '../oauth/events';
import { clientOf, tokensOf } from '../oauth/fields';
import { assertValidClient, assertValidEndpoints, assertValidTokens } from '../oauth/validate';
import { type Decider, DomainError, type SealedMap, type SealedSecret, assertNever, unknownEvent, sameSealedMap, sameSecret } from '../shared';
import type { GrantUserOAuthTokens, RefreshUserOAuthTokens, RemoveUserCredentials, RevokeUserOAuthTokens, SetUserCredentials, UserCredentialsCommand } from './commands';
import type { UserCredentialsEvent } from './events';

/** A user's own OAuth grant, with the client and endpoints it is refreshed and revoked with. */
export type UserGrant = Readonly<OAuthTokenSet & { client: OAuthClient; server: AuthorizationServerEndpoints; resource: string | null }>;

export type NoCredentials = Readonly<{ status: 'none' }>;
/** Something is stored: a bearer token, env values, an OAuth grant, or several of them. */
export type StoredCredentials = Readonly<{
  status: 'set';
  serverId: string;
  userId: string;
  bearerToken: SealedSecret | null;
  env: SealedMap;
  grant: UserGrant | null;
}>;
export type UserCredentialsState = NoCredentials | StoredCredentials;

export const initialState = (): UserCredentialsState => ({ status: 'none' });

/** What a process environment can carry as a name (see the server's env). */
const ENV_NAME_PATTERN = /^[^=\0]+$/;

const invalid = (field: string, message: string): DomainError => new DomainError('INVALID_CREDENTIALS', message, { field });

const grantOf = (state: UserCredentialsState): UserGrant | null => (state.status === 'set' ? state.grant : null);

/** Setting the same values again (same fingerprints) is a no-op; nothing at all is refused. */
const set = ({ data }: SetUserCredentials, state: UserCredentialsState): UserCredentialsEvent[] => {
  const names = Object.keys(data.env);
  if (data.bearerToken === null && names.length === 0) throw invalid('bearerToken', 'give a bearerToken, env values, or both');
  const badName = names.find((name) => !ENV_NAME_PATTERN.test(name));
  if (badName !== undefined) throw invalid('env', `"${badName}" is not a valid environment variable name`);
  if (state.status === 'set' && sameSecret(state.bearerToken, data.bearerToken) && sameSealedMap(state.env, data.env)) return [];
  return [{ type: 'UserCredentialsSet', data: { serverId: data.serverId, userId: data.userId, bearerToken: data.bearerToken, env: data.env } }];
};

const remove = ({ data }: RemoveUserCredentials, state: UserCredentialsState): UserCredentialsEvent[] =>
  state.status === 'none' ? [] : [{ type: 'UserCredentialsRemoved', data: { serverId: data.serverId, userId: data.userId } }];

const grant = ({ data }: GrantUserOAuthTokens): UserCredentialsEvent[] => {
  assertValidClient(data.client);
  assertValidEndpoints(data.server);
  assertValidTokens(data);
  const { serverId, userId, server, resource } = data;
  return [{ type: 'UserOAuthTokensGranted', data: { serverId, userId, client: clientOf(data.client), server, resource, ...tokensOf(data) } }];
};

const refresh = ({ data }: RefreshUserOAuthTokens, state: UserCredentialsState): UserCredentialsEvent[] => {
  if (grantOf(state)?.accessToken.fp !== data.refreshedFrom) return [];
  assertValidTokens(data);
  return [{ type: 'UserOAuthTokensRefreshed', data: { serverId: data.serverId, userId: data.userId, ...tokensOf(data) } }];
};

const revoke = ({ data }: RevokeUserOAuthTokens, state: UserCredentialsState): UserCredentialsEvent[] => {
  const current = grantOf(state);
  if (current === null || (data.ofAccessToken !== null && current.accessToken.fp !== data.ofAccessToken)) return [];
  const { serverId, userId, reason, detail } = data;
  return [{ type: 'UserOAuthTokensRevoked', data: { serverId, userId, reason, detail } }];
};

export const decide = (command: UserCredentialsCommand, state: UserCredentialsState): UserCredentialsEvent[] => {
  switch (command.type) {
    case 'SetUserCredentials':
      return set(command, state);
    case 'RemoveUserCredentials':
      return remove(command, state);
    case 'GrantUserOAuthTokens':
      return grant(command);
    case 'RefreshUserOAuthTokens':
      return refresh(command, state);
    case 'RevokeUserOAuthTokens':
      return revoke(command, state);
    default:
      return assertNever(command);
  }
};

/** The state with `grant` in place of the current one; nothing stored at all is `none`. */
const withGrant = (state: UserCredentialsState, ids: Readonly<{ serverId: string; userId: string }>, next: UserGrant | null): UserCredentialsState => {
  const secrets = state.status === 'set' ? { bearerToken: state.bearerToken, env: state.env } : { bearerToken: null, env: {} };
  if (next === null && secrets.bearerToken === null && Object.keys(secrets.env).length === 0) return { status: 'none' };
  return { status: 'set', serverId: ids.serverId, userId: ids.userId, ...secrets, grant: next };
};

export const evolve = (state: UserCredentialsState, event: UserCredentialsEvent): UserCredentialsState => {
  switch (event.type) {
    case 'UserCredentialsSet':
      return { status: 'set', ...event.data, grant: grantOf(state) };
    case 'UserCredentialsRemoved':
      return { status: 'none' };
    case 'UserOAuthTokensGranted': {
      const { client, server, resource } = event.data;
      return withGrant(state, event.data, { ...tokensOf(event.data), client, server, resource });
    }
    case 'UserOAuthTokensRefreshed': {
      const current = grantOf(state);
      return current === null ? state : withGrant(state, event.data, { ...current, ...tokensOf(event.data) });
    }
    case 'UserOAuthTokensRevoked':
      return withGrant(state, event.data, null);
    default:
      return unknownEvent(event, state);
  }
};

export const userCredentialsDecider: Decider<UserCredentialsState, UserCredentialsCommand, UserCredentialsEvent> = { decide, evolve, initialState };
