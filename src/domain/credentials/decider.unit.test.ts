import { deciderSpec } from '../../../test/support/decider-spec';
import type { SealedSecret } from '../shared';
import type { UserCredentialsCommand } from './commands';
import { userCredentialsDecider } from './decider';
import type { UserCredentialsEvent } from './events';

const spec = deciderSpec(userCredentialsDecider);
const ids = { serverId: 'srv-1', userId: 'user-1' };
const sealed = (fp: string): SealedSecret => ({ enc: `enc(${fp})`, fp, hint: '' });
const set = (bearerToken: SealedSecret | null, env: Record<string, SealedSecret> = {}): UserCredentialsCommand => ({ type: 'SetUserCredentials', data: { ...ids, bearerToken, env } });
const remove: UserCredentialsCommand = { type: 'RemoveUserCredentials', data: ids };
const wasSet: UserCredentialsEvent = { type: 'UserCredentialsSet', data: { ...ids, bearerToken: sealed('t1'), env: { API_KEY: sealed('k1') } } };
const removed: UserCredentialsEvent = { type: 'UserCredentialsRemoved', data: ids };

const issuer = 'http://127.0.0.1:4000';
const client = {
  issuer, clientId: 'client-1', clientSecret: null, clientSecretExpiresAt: null, method: 'dynamic' as const,
  redirectUri: 'http://127.0.0.1:7300/oauth/callback', tokenEndpointAuthMethod: 'none' as const,
};
const server = { issuer, tokenEndpoint: `${issuer}/token`, revocationEndpoint: null };
const tokens = (fp: string) => ({ accessToken: sealed(fp), refreshToken: sealed(`r-${fp}`), expiresAt: '2026-01-01T01:00:00.000Z', scopes: ['mcp:tools'] });
const grant = (fp = 'a1', changes: object = {}): UserCredentialsCommand => ({
  type: 'GrantUserOAuthTokens',
  data: { ...ids, client: { ...client, ...changes }, server, resource: 'http://127.0.0.1:5000/mcp', ...tokens(fp) },
});
const granted: UserCredentialsEvent = { type: 'UserOAuthTokensGranted', data: { ...ids, client, server, resource: 'http://127.0.0.1:5000/mcp', ...tokens('a1') } };
const refresh = (refreshedFrom: string): UserCredentialsCommand => ({ type: 'RefreshUserOAuthTokens', data: { ...ids, refreshedFrom, ...tokens('a2') } });
const refreshed: UserCredentialsEvent = { type: 'UserOAuthTokensRefreshed', data: { ...ids, ...tokens('a2') } };
const revoke = (ofAccessToken: string | null = null): UserCredentialsCommand => ({
  type: 'RevokeUserOAuthTokens',
  data: { ...ids, reason: 'refresh_failed', detail: 'invalid_grant', ofAccessToken },
});
const revoked: UserCredentialsEvent = { type: 'UserOAuthTokensRevoked', data: { ...ids, reason: 'refresh_failed', detail: 'invalid_grant' } };

describe('user credentials decider', () => {
  describe('given none', () => {
    it('sets a bearer token, env values or both', () => {
      expect(spec.given().when(set(sealed('t1'), { API_KEY: sealed('k1') }))).toEqual({ events: [wasSet] });
      expect(spec.given().when(set(null, { API_KEY: sealed('k1') }))).toMatchObject({ events: [{ type: 'UserCredentialsSet' }] });
    });
    it('refuses nothing at all, and an env name a process cannot carry', () => {
      expect(spec.given().when(set(null))).toEqual({ error: 'INVALID_CREDENTIALS', details: { field: 'bearerToken' } });
      expect(spec.given().when(set(null, { 'A=B': sealed('x') }))).toEqual({ error: 'INVALID_CREDENTIALS', details: { field: 'env' } });
    });
    it('has nothing to remove', () => {
      expect(spec.given().when(remove)).toEqual({ events: [] });
    });
  });

  describe('given credentials set', () => {
    it('appends nothing for the same values sealed again (same fingerprints)', () => {
      expect(spec.given(wasSet).when(set({ ...sealed('t1'), enc: 'other ciphertext' }, { API_KEY: sealed('k1') }))).toEqual({ events: [] });
    });
    it('replaces them as a whole when a value changes or goes', () => {
      expect(spec.given(wasSet).when(set(sealed('t2'), { API_KEY: sealed('k1') }))).toMatchObject({ events: [{ data: { bearerToken: { fp: 't2' } } }] });
      expect(spec.given(wasSet).when(set(sealed('t1')))).toMatchObject({ events: [{ data: { env: {} } }] });
    });
    it('removes them, once', () => {
      expect(spec.given(wasSet).when(remove)).toEqual({ events: [removed] });
      expect(spec.given(wasSet, removed).when(remove)).toEqual({ events: [] });
    });
  });

  describe('an OAuth grant of the user\'s own', () => {
    it('records it, with only the client\'s own fields', () => {
      expect(spec.given().when(grant('a1', { stale: true }))).toEqual({ events: [granted] });
    });
    it('refuses tokens with a scope that is no scope token, or a client without a redirect URI', () => {
      const badScope: UserCredentialsCommand = {
        type: 'GrantUserOAuthTokens',
        data: { ...ids, client, server, resource: null, ...tokens('a1'), scopes: ['a b'] },
      };
      expect(spec.given().when(badScope)).toMatchObject({ error: 'INVALID_ARGUMENT', details: { field: 'scopes' } });
      expect(spec.given().when(grant('a1', { redirectUri: null }))).toMatchObject({ error: 'INVALID_ARGUMENT', details: { field: 'redirectUri' } });
    });
    it('records a refresh of the current tokens only', () => {
      expect(spec.given(granted).when(refresh('a1'))).toEqual({ events: [refreshed] });
      expect(spec.given(granted, refreshed).when(refresh('a1'))).toEqual({ events: [] });
      expect(spec.given().when(refresh('a1'))).toEqual({ events: [] });
    });
    it('keeps the grant when the bearer token or env values are set, and the secrets when the grant goes', () => {
      expect(spec.given(granted, wasSet).state()).toMatchObject({ status: 'set', bearerToken: { fp: 't1' }, grant: { accessToken: { fp: 'a1' } } });
      expect(spec.given(wasSet, granted, revoked).state()).toMatchObject({ status: 'set', bearerToken: { fp: 't1' }, grant: null });
    });
    it('holds nothing once the only grant is revoked, and a failure of old tokens revokes no newer ones', () => {
      expect(spec.given(granted).when(revoke('a1'))).toEqual({ events: [revoked] });
      expect(spec.given(granted, revoked).state()).toEqual({ status: 'none' });
      expect(spec.given(granted, refreshed).when(revoke('a1'))).toEqual({ events: [] });
      expect(spec.given(granted, revoked).when(revoke())).toEqual({ events: [] });
    });
    it('is removed with the other credentials', () => {
      expect(spec.given(granted).when(remove)).toEqual({ events: [removed] });
      expect(spec.given(granted, removed).state()).toEqual({ status: 'none' });
    });
  });
});
