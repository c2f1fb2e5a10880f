import { deciderSpec } from '../../../test/support/decider-spec';
import type { IssuePersonalAccessToken, PersonalAccessTokenCommand } from './commands';
import { patDecider } from './decider';
import type { PersonalAccessTokenEvent } from './events';

const spec = deciderSpec(patDecider);
const tokenId = 'tok-1';
const issuedAt = '2026-01-01T00:00:00.000Z';
const token = { tokenId, userId: 'user-1', name: 'laptop', hash: 'b'.repeat(64), prefix: 'ghp_AbCdEf', expiresAt: '2026-06-01T00:00:00.000Z' };
const issued: PersonalAccessTokenEvent = { type: 'PersonalAccessTokenIssued', data: token };
const revoked: PersonalAccessTokenEvent = { type: 'PersonalAccessTokenRevoked', data: { tokenId, userId: 'user-1' } };
const issue = (changes: Partial<IssuePersonalAccessToken['data']> = {}): PersonalAccessTokenCommand => ({ type: 'IssuePersonalAccessToken', data: { ...token, issuedAt, ...changes } });
const revokeBy = (userId: string): PersonalAccessTokenCommand => ({ type: 'RevokePersonalAccessToken', data: { tokenId, userId } });

describe('personal access token decider', () => {
  describe('given no token', () => {
    it('issues one, without the issue time', () => {
      expect(spec.given().when(issue())).toEqual({ events: [issued] });
    });
    it('issues one that never expires', () => {
      expect(spec.given().when(issue({ expiresAt: null }))).toMatchObject({ events: [{ data: { expiresAt: null } }] });
    });
    it.each<[string, Partial<IssuePersonalAccessToken['data']>, string]>([
      ['no user', { userId: '' }, 'userId'],
      ['an empty name', { name: '  ' }, 'name'],
      ['a name over 128 characters', { name: 'x'.repeat(129) }, 'name'],
      ['a name with a line break', { name: 'a\nb' }, 'name'],
      ['a hash that is not SHA-256 hex', { hash: 'ghp_plaintext' }, 'hash'],
      ['an empty prefix', { prefix: '' }, 'prefix'],
      ['an expiry that is no date', { expiresAt: 'tomorrow' }, 'expiresAt'],
      ['an expiry at the issue time', { expiresAt: issuedAt }, 'expiresAt'],
      ['an expiry in the past', { expiresAt: '2025-12-31T23:59:59Z' }, 'expiresAt'],
    ])('refuses %s', (_, changes, field) => {
      expect(spec.given().when(issue(changes))).toEqual({ error: 'INVALID_ARGUMENT', details: { field } });
    });
    it('reports a revoke as not found', () => {
      expect(spec.given().when(revokeBy('user-1'))).toMatchObject({ error: 'TOKEN_NOT_FOUND' });
    });
  });

  describe('given an active token', () => {
    it('refuses to issue it again', () => {
      expect(spec.given(issued).when(issue())).toMatchObject({ error: 'TOKEN_ALREADY_EXISTS' });
    });
    it('revokes it for its user', () => {
      expect(spec.given(issued).when(revokeBy('user-1'))).toEqual({ events: [revoked] });
    });
    it('reports it as not found to another user', () => {
      expect(spec.given(issued).when(revokeBy('user-2'))).toMatchObject({ error: 'TOKEN_NOT_FOUND' });
    });
  });

  describe('given a revoked token', () => {
    it('revokes it again without appending', () => {
      expect(spec.given(issued, revoked).when(revokeBy('user-1'))).toEqual({ events: [] });
    });
    it('still reports it as not found to another user', () => {
      expect(spec.given(issued, revoked).when(revokeBy('user-2'))).toMatchObject({ error: 'TOKEN_NOT_FOUND' });
    });
    it('keeps what it was', () => {
      expect(spec.given(issued, revoked).state()).toEqual({ status: 'revoked', ...token });
    });
  });
});
