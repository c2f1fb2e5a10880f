import { type Decider, DomainError, assertNever, unknownEvent, sameSecret } from '../shared';
import type { GrantOAuthTokens, OAuthCommand, RefreshOAuthTokens, RegisterOAuthClient, RejectOAuthClient, RevokeOAuthTokens } from './commands';
import type { AuthorizationServerEndpoints, OAuthClient, OAuthEvent, OAuthTokenSet, RevocationReason } from './events';
import { clientOf, tokensOf } from './fields';
import { assertValidClient, assertValidEndpoints, assertValidTokens } from './validate';

/** The registration in use; `stale` once the authorization server refused the client. */
export type Registration = Readonly<OAuthClient & { stale: boolean }>;

/** Active tokens, with the client and endpoints they must be refreshed and revoked with. */
export type Grant = Readonly<
  OAuthTokenSet & { client: OAuthClient; server: AuthorizationServerEndpoints; resource: string | null }
>;

export type UnregisteredOAuth = Readonly<{ status: 'unregistered' }>;
export type RegisteredOAuth = Readonly<{
  status: 'registered';
  client: Registration;
  /** Why the last tokens went away, if any did. */
  lastRevocation: Readonly<{ reason: RevocationReason; detail: string | null }> | null;
}>;
export type AuthorizedOAuth = Readonly<{ status: 'authorized'; client: Registration; grant: Grant }>;
export type OAuthState = UnregisteredOAuth | RegisteredOAuth | AuthorizedOAuth;

export const initialState = (): OAuthState => ({ status: 'unregistered' });

const sameClient = (a: OAuthClient, b: OAuthClient): boolean =>
  a.issuer === b.issuer &&
  a.clientId === b.clientId &&
  sameSecret(a.clientSecret, b.clientSecret) &&
  a.clientSecretExpiresAt === b.clientSecretExpiresAt &&
  a.method === b.method &&
  a.redirectUri === b.redirectUri &&
  a.tokenEndpointAuthMethod === b.tokenEndpointAuthMethod;

/**
 * The registration an authorization against `issuer` with `redirectUri` can reuse at `now`, or
 * null when a new one is needed: none yet, refused by the server, made with another
 * authorization server, bound to another redirect URI (GATEHOUSE_PUBLIC_URL changed), or its
 * secret has expired.
 */
export const reusableClient = (
  state: OAuthState,
  wanted: Readonly<{ issuer: string; redirectUri: string; now: string }>,
): OAuthClient | null => {
  if (state.status === 'unregistered') return null;
  const { client } = state;
  if (client.stale || client.issuer !== wanted.issuer) return null;
  if (client.method === 'dynamic' && client.redirectUri !== wanted.redirectUri) return null;
  if (client.clientSecretExpiresAt !== null && Date.parse(client.clientSecretExpiresAt) <= Date.parse(wanted.now)) return null;
  return clientOf(client);
};

const registerClient = ({ data }: RegisterOAuthClient, state: OAuthState): OAuthEvent[] => {
  assertValidClient(data.client);
  if (state.status !== 'unregistered' && !state.client.stale && sameClient(state.client, data.client)) return [];
  return [{ type: 'OAuthClientRegistered', data: { serverId: data.serverId, ...clientOf(data.client) } }];
};

const grantTokens = ({ data }: GrantOAuthTokens, state: OAuthState): OAuthEvent[] => {
  if (state.status === 'unregistered' || state.client.clientId !== data.clientId) {
    throw new DomainError('OAUTH_CLIENT_MISMATCH', `Tokens for client ${data.clientId} do not belong to the registered client`, {
      serverId: data.serverId,
    });
  }
  assertValidEndpoints(data.server);
  assertValidTokens(data.tokens);
  const { serverId, clientId, server, resource } = data;
  return [{ type: 'OAuthTokensGranted', data: { serverId, clientId, server, resource, ...tokensOf(data.tokens) } }];
};

const refreshTokens = ({ data }: RefreshOAuthTokens, state: OAuthState): OAuthEvent[] => {
  if (state.status !== 'authorized' || state.grant.accessToken.fp !== data.refreshedFrom) return [];
  assertValidTokens(data.tokens);
  return [{ type: 'OAuthTokensRefreshed', data: { serverId: data.serverId, ...tokensOf(data.tokens) } }];
};

const revokeTokens = ({ data }: RevokeOAuthTokens, state: OAuthState): OAuthEvent[] => {
  if (state.status !== 'authorized') return [];
  if (data.ofAccessToken !== null && state.grant.accessToken.fp !== data.ofAccessToken) return [];
  const { serverId, reason, detail, clientRejected } = data;
  return [{ type: 'OAuthTokensRevoked', data: { serverId, reason, detail, clientRejected } }];
};

const rejectClient = ({ data }: RejectOAuthClient, state: OAuthState): OAuthEvent[] => {
  if (state.status === 'unregistered' || state.client.stale || state.client.clientId !== data.clientId) return [];
  return [{ type: 'OAuthClientRejected', data: { serverId: data.serverId, clientId: data.clientId } }];
};

export const decide = (command: OAuthCommand, state: OAuthState): OAuthEvent[] => {
  switch (command.type) {
    case 'RegisterOAuthClient':
      return registerClient(command, state);
    case 'GrantOAuthTokens':
      return grantTokens(command, state);
    case 'RefreshOAuthTokens':
      return refreshTokens(command, state);
    case 'RevokeOAuthTokens':
      return revokeTokens(command, state);
    case 'RejectOAuthClient':
      return rejectClient(command, state);
    default:
      return assertNever(command);
  }
};

export const evolve = (state: OAuthState, event: OAuthEvent): OAuthState => {
  switch (event.type) {
    case 'OAuthClientRegistered': {
      const client: Registration = { ...clientOf(event.data), stale: false };
      if (state.status === 'authorized') return { ...state, client };
      return { status: 'registered', client, lastRevocation: state.status === 'registered' ? state.lastRevocation : null };
    }
    case 'OAuthTokensGranted':
      if (state.status === 'unregistered') return state;
      return {
        status: 'authorized',
        client: state.client,
        grant: { ...tokensOf(event.data), client: clientOf(state.client), server: event.data.server, resource: event.data.resource },
      };
    case 'OAuthTokensRefreshed':
      return state.status === 'authorized' ? { ...state, grant: { ...state.grant, ...tokensOf(event.data) } } : state;
    case 'OAuthTokensRevoked':
      if (state.status !== 'authorized') return state;
      return {
        status: 'registered',
        // Only the client the refused tokens belonged to is stale, not one registered since.
        client: { ...state.client, stale: state.client.stale || (event.data.clientRejected && state.grant.client.clientId === state.client.clientId) },
        lastRevocation: { reason: event.data.reason, detail: event.data.detail },
      };
    case 'OAuthClientRejected':
      if (state.status === 'unregistered' || state.client.clientId !== event.data.clientId) return state;
      return { ...state, client: { ...state.client, stale: true } };
    default:
      return unknownEvent(event, state);
  }
};

export const oauthDecider: Decider<OAuthState, OAuthCommand, OAuthEvent> = { decide, evolve, initialState };
