import type { SealedSecret } from '../shared';
import { deciderSpec } from '../../../test/support/decider-spec';
import type { OAuthCommand } from './commands';
import { oauthDecider, reusableClient } from './decider';
import type { OAuthClient, OAuthEvent, OAuthTokenSet } from './events';

const spec = deciderSpec(oauthDecider);
const serverId = 'srv-1';
const issuer = 'http://127.0.0.1:4000';
const redirectUri = 'http://127.0.0.1:7300/oauth/callback';
const sealed = (fp: string): SealedSecret => ({ enc: `v1.k.${fp}`, fp, hint: '' });

const client: OAuthClient = {
  issuer,
  clientId: 'client-1',
  clientSecret: sealed('secret-1'),
  clientSecretExpiresAt: null,
  method: 'dynamic',
  redirectUri,
  tokenEndpointAuthMethod: 'client_secret_basic',
};
const endpoints = { issuer, tokenEndpoint: `${issuer}/token`, revocationEndpoint: `${issuer}/token/revocation` };
const tokens = (fp: string): OAuthTokenSet => ({
  accessToken: sealed(fp),
  refreshToken: sealed(`r-${fp}`),
  expiresAt: '2026-01-01T01:00:00.000Z',
  scopes: ['tools:read'],
});

const registered: OAuthEvent = { type: 'OAuthClientRegistered', data: { serverId, ...client } };
const granted: OAuthEvent = {
  type: 'OAuthTokensGranted',
  data: { serverId, clientId: 'client-1', server: endpoints, resource: 'http://127.0.0.1:5000/mcp', ...tokens('a1') },
};
const refreshed: OAuthEvent = { type: 'OAuthTokensRefreshed', data: { serverId, ...tokens('a2') } };
const refusedOnRefresh: OAuthEvent = {
  type: 'OAuthTokensRevoked',
  data: { serverId, reason: 'refresh_failed', detail: 'invalid_client', clientRejected: true },
};

const register = (changes: Partial<OAuthClient> = {}): OAuthCommand => ({
  type: 'RegisterOAuthClient',
  data: { serverId, client: { ...client, ...changes } },
});
const grant = (clientId = 'client-1', set = tokens('a1')): OAuthCommand => ({
  type: 'GrantOAuthTokens',
  data: { serverId, clientId, server: endpoints, resource: 'http://127.0.0.1:5000/mcp', tokens: set },
});
const refresh = (refreshedFrom: string, set = tokens('a2')): OAuthCommand => ({
  type: 'RefreshOAuthTokens',
  data: { serverId, refreshedFrom, tokens: set },
});
const revoke = (ofAccessToken: string | null = null): OAuthCommand => ({
  type: 'RevokeOAuthTokens',
  data: { serverId, reason: 'revoked', detail: null, clientRejected: false, ofAccessToken },
});

describe('oauth decider', () => {
  describe('given no registration', () => {
    it('registers a client', () => {
      expect(spec.given().when(register())).toEqual({ events: [registered] });
    });

    it.each<[string, Partial<OAuthClient>, string]>([
      ['an issuer that is no http URL', { issuer: 'ftp://x' }, 'issuer'],
      ['an empty client id', { clientId: ' ' }, 'clientId'],
      ['a secret method without a secret', { clientSecret: null }, 'clientSecret'],
      ['a dynamic registration without redirect URI', { redirectUri: null }, 'redirectUri'],
      ['an expiry that is no time', { clientSecretExpiresAt: 'soon' }, 'clientSecretExpiresAt'],
    ])('refuses %s', (_, changes, field) => {
      expect(spec.given().when(register(changes))).toEqual({ error: 'INVALID_ARGUMENT', details: { field } });
    });

    it('refuses tokens, which need a registered client', () => {
      expect(spec.given().when(grant())).toMatchObject({ error: 'OAUTH_CLIENT_MISMATCH' });
    });

    it.each([refresh('a1'), revoke()])('ignores $type', (command) => {
      expect(spec.given().when(command)).toEqual({ events: [] });
    });
  });

  describe('given a registered client', () => {
    it('does not register the same client twice, even with a re-sealed secret', () => {
      expect(spec.given(registered).when(register({ clientSecret: { ...sealed('secret-1'), enc: 'other' } }))).toEqual({ events: [] });
    });

    it('replaces it with another registration', () => {
      expect(spec.given(registered).when(register({ clientId: 'client-2' }))).toMatchObject({
        events: [{ type: 'OAuthClientRegistered', data: { clientId: 'client-2' } }],
      });
    });

    it('records the tokens of its authorization', () => {
      expect(spec.given(registered).when(grant())).toEqual({ events: [granted] });
    });

    it('refuses tokens of another client', () => {
      expect(spec.given(registered).when(grant('someone-else'))).toMatchObject({ error: 'OAUTH_CLIENT_MISMATCH' });
    });

    it('refuses a scope that is not a scope token', () => {
      expect(spec.given(registered).when(grant('client-1', { ...tokens('a1'), scopes: ['a b'] }))).toEqual({
        error: 'INVALID_ARGUMENT',
        details: { field: 'scopes' },
      });
    });
  });

  describe('given tokens', () => {
    it('records a refresh of the current tokens', () => {
      expect(spec.given(registered, granted).when(refresh('a1'))).toEqual({ events: [refreshed] });
    });

    it('drops a refresh of tokens that were replaced meanwhile', () => {
      expect(spec.given(registered, granted, refreshed).when(refresh('a1', tokens('a3')))).toEqual({ events: [] });
    });

    it('keeps the rotated refresh token', () => {
      const state = spec.given(registered, granted, refreshed).state();
      expect(state).toMatchObject({ status: 'authorized', grant: { refreshToken: { fp: 'r-a2' }, client: { clientId: 'client-1' } } });
    });

    it('revokes them', () => {
      expect(spec.given(registered, granted).when(revoke())).toEqual({
        events: [{ type: 'OAuthTokensRevoked', data: { serverId, reason: 'revoked', detail: null, clientRejected: false } }],
      });
    });

    it('does not let a failure of old tokens revoke newer ones', () => {
      expect(spec.given(registered, granted, refreshed).when(revoke('a1'))).toEqual({ events: [] });
    });

    it('keeps refreshing with the client the tokens were granted to after a new registration', () => {
      const reRegistered: OAuthEvent = { type: 'OAuthClientRegistered', data: { serverId, ...client, clientId: 'client-2' } };
      expect(spec.given(registered, granted, reRegistered).state()).toMatchObject({
        status: 'authorized',
        client: { clientId: 'client-2' },
        grant: { client: { clientId: 'client-1' } },
      });
    });
  });

  describe('given tokens refused on refresh', () => {
    it('remembers why, and that the client is stale', () => {
      expect(spec.given(registered, granted, refusedOnRefresh).state()).toMatchObject({
        status: 'registered',
        client: { stale: true },
        lastRevocation: { reason: 'refresh_failed', detail: 'invalid_client' },
      });
    });

    it('registers the same client again, since the stale one is refused', () => {
      expect(spec.given(registered, granted, refusedOnRefresh).when(register())).toEqual({ events: [registered] });
    });

    it('revokes nothing more', () => {
      expect(spec.given(registered, granted, refusedOnRefresh).when(revoke())).toEqual({ events: [] });
    });
  });

  describe('given a client refused on a refresh of a user\'s own grant', () => {
    const reject = (clientId = 'client-1'): OAuthCommand => ({ type: 'RejectOAuthClient', data: { serverId, clientId } });
    const rejected: OAuthEvent = { type: 'OAuthClientRejected', data: { serverId, clientId: 'client-1' } };

    it('marks the registration stale, once, so that it is not reused', () => {
      expect(spec.given(registered).when(reject())).toEqual({ events: [rejected] });
      expect(spec.given(registered, rejected).when(reject())).toEqual({ events: [] });
      expect(reusableClient(spec.given(registered, rejected).state(), { issuer, redirectUri, now: '2026-01-01T00:00:00.000Z' })).toBeNull();
    });

    it('leaves a newer registration, and no registration, alone', () => {
      const reRegistered: OAuthEvent = { type: 'OAuthClientRegistered', data: { serverId, ...client, clientId: 'client-2' } };
      expect(spec.given(registered, reRegistered).when(reject())).toEqual({ events: [] });
      expect(spec.given().when(reject())).toEqual({ events: [] });
    });
  });

  describe('reusableClient', () => {
    const now = '2026-01-01T00:00:00.000Z';
    const wanted = { issuer, redirectUri, now };

    it('reuses a fresh registration', () => {
      expect(reusableClient(spec.given(registered).state(), wanted)).toEqual(client);
    });

    it.each<[string, OAuthEvent[], Partial<typeof wanted>]>([
      ['there is none', [], {}],
      ['it was made with another authorization server', [registered], { issuer: 'http://127.0.0.1:4001' }],
      ['it is bound to another redirect URI', [registered], { redirectUri: 'https://gatehouse.example/oauth/callback' }],
      ['the server refused the client', [registered, granted, refusedOnRefresh], {}],
      [
        'its secret has expired',
        [{ type: 'OAuthClientRegistered', data: { serverId, ...client, clientSecretExpiresAt: '2025-12-31T00:00:00.000Z' } }],
        {},
      ],
    ])('asks for a new one when %s', (_, given, changes) => {
      expect(reusableClient(spec.given(...given).state(), { ...wanted, ...changes })).toBeNull();
    });

    it('reuses a pre-registered client whatever the redirect URI', () => {
      const preregistered: OAuthEvent = { type: 'OAuthClientRegistered', data: { serverId, ...client, method: 'preregistered', redirectUri: null } };
      expect(reusableClient(spec.given(preregistered).state(), { ...wanted, redirectUri: 'https://elsewhere/cb' })).toMatchObject({
        method: 'preregistered',
      });
    });
  });
});
