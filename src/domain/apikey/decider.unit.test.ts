import { deciderSpec } from '../../../test/support/decider-spec';
import type { ApiKeyCommand, IssueApiKey } from './commands';
import { apiKeyDecider } from './decider';
import type { ApiKeyEvent } from './events';

const spec = deciderSpec(apiKeyDecider);
const keyId = 'key-1';
const issuedAt = '2026-01-01T00:00:00.000Z';

const key = {
  keyId,
  name: 'CI',
  hash: 'a'.repeat(64),
  prefix: 'gh_AbCd',
  profiles: ['prf-1', 'prf-2'],
  expiresAt: '2026-06-01T00:00:00Z',
};
const issued: ApiKeyEvent = { type: 'ApiKeyIssued', data: key };
const revoked: ApiKeyEvent = { type: 'ApiKeyRevoked', data: { keyId } };

const issue = (changes: Partial<IssueApiKey['data']> = {}): ApiKeyCommand => ({
  type: 'IssueApiKey',
  data: { ...key, issuedAt, ...changes },
});
const revoke: ApiKeyCommand = { type: 'RevokeApiKey', data: { keyId } };

describe('api key decider', () => {
  describe('given no key', () => {
    it('issues one, without the issue time', () => {
      expect(spec.given().when(issue())).toEqual({ events: [issued] });
    });

    it.each([['*'], ['prf-1']])('issues one scoped to %j', (profile) => {
      expect(spec.given().when(issue({ profiles: [profile] }))).toMatchObject({ events: [{ type: 'ApiKeyIssued' }] });
    });

    it.each(['2027-01-01', '2026-01-01T00:00:01+00:00', '2026-01-01T01:30:00.5+01:00'])(
      'accepts the expiry %j',
      (expiresAt) => {
        expect(spec.given().when(issue({ expiresAt }))).toMatchObject({ events: [{ type: 'ApiKeyIssued' }] });
      },
    );

    it('issues one that never expires', () => {
      expect(spec.given().when(issue({ expiresAt: null }))).toMatchObject({ events: [{ data: { expiresAt: null } }] });
    });

    it.each<[string, Partial<IssueApiKey['data']>, string]>([
      ['an empty name', { name: ' ' }, 'name'],
      ['a name over 128 characters', { name: 'x'.repeat(129) }, 'name'],
      ['a hash that is not SHA-256 hex', { hash: 'secret' }, 'hash'],
      ['an empty prefix', { prefix: '' }, 'prefix'],
      ['no profiles', { profiles: [] }, 'profiles'],
      ['"*" mixed with ids', { profiles: ['*', 'prf-1'] }, 'profiles'],
      ['repeated profiles', { profiles: ['prf-1', 'prf-1'] }, 'profiles'],
      ['an empty profile id', { profiles: [''] }, 'profiles'],
      ['an expiry that is no date', { expiresAt: 'next week' }, 'expiresAt'],
      ['an expiry on a day that does not exist', { expiresAt: '2026-02-30' }, 'expiresAt'],
      ['an expiry without offset', { expiresAt: '2026-06-01T00:00:00' }, 'expiresAt'],
      ['an expiry at the issue time', { expiresAt: issuedAt }, 'expiresAt'],
      ['an expiry in the past', { expiresAt: '2025-12-31T23:59:59Z' }, 'expiresAt'],
    ])('refuses %s', (_, changes, field) => {
      expect(spec.given().when(issue(changes))).toEqual({ error: 'INVALID_ARGUMENT', details: { field } });
    });

    it('reports a revoke as not found', () => {
      expect(spec.given().when(revoke)).toMatchObject({ error: 'APIKEY_NOT_FOUND' });
    });
  });

  describe('given an active key', () => {
    it('refuses to issue it again', () => {
      expect(spec.given(issued).when(issue())).toMatchObject({ error: 'APIKEY_ALREADY_EXISTS' });
    });

    it('revokes it', () => {
      expect(spec.given(issued).when(revoke)).toEqual({ events: [revoked] });
    });
  });

  describe('given a revoked key', () => {
    it('revokes it again without appending', () => {
      expect(spec.given(issued, revoked).when(revoke)).toEqual({ events: [] });
    });

    it('refuses to issue it again', () => {
      expect(spec.given(issued, revoked).when(issue())).toMatchObject({ error: 'APIKEY_ALREADY_EXISTS' });
    });

    it('keeps what it was', () => {
      expect(spec.given(issued, revoked).state()).toEqual({ status: 'revoked', ...key });
    });
  });

  it('evolve ignores a revoke of a key it does not know', () => {
    const state = apiKeyDecider.initialState();
    expect(apiKeyDecider.evolve(state, revoked)).toBe(state);
  });
});
