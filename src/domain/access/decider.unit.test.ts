import { deciderSpec } from '../../../test/support/decider-spec';
import { accessDecider, type AccessCommand } from './decider';
import type { Access, AccessEvent } from './events';
import { canUse } from './visibility';

const spec = deciderSpec(accessDecider);
const target = { kind: 'profile' as const, resourceId: 'prf-1' };
const set = (access: Partial<Access>): AccessCommand => ({
  type: 'SetAccess',
  data: { ...target, ownerId: 'usr-1', visibility: 'private', sharedWithUsers: [], sharedWithRoles: [], ...access },
});
const changed = (access: Partial<Access>): AccessEvent => ({
  type: 'AccessChanged',
  data: { ...target, ownerId: 'usr-1', visibility: 'private', sharedWithUsers: [], sharedWithRoles: [], ...access },
});

describe('access decider', () => {
  describe('given no access event (private to admins)', () => {
    it('gives the resource an owner', () => {
      expect(spec.given().when(set({}))).toEqual({ events: [changed({})] });
    });
    it('appends nothing for the access it already has', () => {
      expect(spec.given().when(set({ ownerId: null }))).toEqual({ events: [] });
    });
    it.each<[string, Partial<Access>, string]>([
      ['a private resource shared with users', { sharedWithUsers: ['usr-2'] }, 'visibility'],
      ['a shared resource shared with nobody', { visibility: 'shared' }, 'sharedWithUsers'],
      ['an unknown visibility', { visibility: 'public' as 'shared' }, 'visibility'],
      ['repeated users', { visibility: 'shared', sharedWithUsers: ['usr-2', 'usr-2'] }, 'sharedWithUsers'],
      ['an unknown role', { visibility: 'shared', sharedWithRoles: ['root' as 'member'] }, 'sharedWithRoles'],
    ])('refuses %s', (_, access, field) => {
      expect(spec.given().when(set(access))).toEqual({ error: 'INVALID_ARGUMENT', details: { field } });
    });
  });

  describe('given a shared resource', () => {
    const shared = changed({ visibility: 'shared', sharedWithUsers: ['usr-2'], sharedWithRoles: ['member'] });
    it('makes it private again', () => {
      expect(spec.given(shared).when(set({}))).toEqual({ events: [changed({})] });
    });
    it('appends nothing when sharing it the same way', () => {
      expect(spec.given(shared).when(set({ visibility: 'shared', sharedWithUsers: ['usr-2'], sharedWithRoles: ['member'] }))).toEqual({ events: [] });
    });
  });
});

describe('canUse', () => {
  const access = (changes: Partial<Access>): Access => ({ ownerId: 'usr-1', visibility: 'private', sharedWithUsers: [], sharedWithRoles: [], ...changes });
  const member = (userId: string) => ({ kind: 'user' as const, userId, role: 'member' as const });
  it('lets the admin token, admins and owners use everything', () => {
    for (const viewer of [{ kind: 'admin' as const }, { kind: 'user' as const, userId: 'x', role: 'admin' as const }, { kind: 'user' as const, userId: 'x', role: 'owner' as const }]) {
      expect(canUse(viewer, access({ ownerId: null }))).toBe(true);
    }
  });
  it('lets a member use what it owns or what is shared with it or its role, and nothing else', () => {
    expect(canUse(member('usr-1'), access({}))).toBe(true);
    expect(canUse(member('usr-2'), access({}))).toBe(false);
    expect(canUse(member('usr-2'), access({ visibility: 'shared', sharedWithUsers: ['usr-2'] }))).toBe(true);
    expect(canUse(member('usr-3'), access({ visibility: 'shared', sharedWithUsers: ['usr-2'] }))).toBe(false);
    expect(canUse(member('usr-3'), access({ visibility: 'shared', sharedWithRoles: ['member'] }))).toBe(true);
    expect(canUse(member('usr-3'), access({ visibility: 'shared', sharedWithRoles: ['admin'] }))).toBe(false);
  });
});
