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
});
