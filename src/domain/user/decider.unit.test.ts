import { deciderSpec } from '../../../test/support/decider-spec';
import type { UserCommand } from './commands';
import { userDecider } from './decider';
import type { UserEvent } from './events';

const spec = deciderSpec(userDecider);
const userId = 'usr-1';
const hash = `scrypt$16384$8$1$${'s'.repeat(22)}$${'h'.repeat(43)}`;
const otherHash = `scrypt$16384$8$1$${'t'.repeat(22)}$${'k'.repeat(43)}`;

const registered = (role: 'owner' | 'admin' | 'member' = 'member'): UserEvent => ({ type: 'UserRegistered', data: { userId, name: 'alice', role, passwordHash: hash } });
const disabled: UserEvent = { type: 'UserDisabled', data: { userId } };
const register = (changes: Partial<{ name: string; role: string; passwordHash: string }> = {}): UserCommand =>
  ({ type: 'RegisterUser', data: { userId, name: 'alice', role: 'member', passwordHash: hash, ...changes } }) as UserCommand;
const role = (to: 'owner' | 'admin' | 'member', otherActiveOwners = 0): UserCommand => ({ type: 'ChangeUserRole', data: { userId, role: to, otherActiveOwners } });
const disable = (otherActiveOwners = 0): UserCommand => ({ type: 'DisableUser', data: { userId, otherActiveOwners } });

describe('user decider', () => {
  describe('given no user', () => {
    it('registers one', () => {
      expect(spec.given().when(register())).toEqual({ events: [registered()] });
    });
    it.each<[string, Partial<{ name: string; role: string; passwordHash: string }>, string]>([
      ['an empty name', { name: '' }, 'name'],
      ['an upper-case name', { name: 'Alice' }, 'name'],
      ['a name with a space', { name: 'al ice' }, 'name'],
      ['a name over 64 characters', { name: 'a'.repeat(65) }, 'name'],
      ['an unknown role', { role: 'root' }, 'role'],
      ['a plaintext password in place of the hash', { passwordHash: 'hunter2hunter2' }, 'passwordHash'],
    ])('refuses %s', (_, changes, field) => {
      expect(spec.given().when(register(changes))).toEqual({ error: 'INVALID_ARGUMENT', details: { field } });
    });
    it.each<UserCommand>([
      { type: 'RenameUser', data: { userId, name: 'bob' } },
      role('admin'),
      { type: 'ChangeUserPassword', data: { userId, passwordHash: hash } },
      disable(),
      { type: 'EnableUser', data: { userId } },
    ])('reports $type as not found', (command) => {
      expect(spec.given().when(command)).toMatchObject({ error: 'USER_NOT_FOUND' });
    });
  });

  describe('given an enabled member', () => {
    it('refuses to register it again', () => {
      expect(spec.given(registered()).when(register())).toMatchObject({ error: 'USER_ALREADY_EXISTS' });
    });
    it('renames it, and a rename to the same name appends nothing', () => {
      expect(spec.given(registered()).when({ type: 'RenameUser', data: { userId, name: 'alice.b' } })).toEqual({ events: [{ type: 'UserRenamed', data: { userId, name: 'alice.b' } }] });
      expect(spec.given(registered()).when({ type: 'RenameUser', data: { userId, name: 'alice' } })).toEqual({ events: [] });
    });
    it('changes its role, and a change to its own role appends nothing', () => {
      expect(spec.given(registered()).when(role('admin'))).toEqual({ events: [{ type: 'UserRoleChanged', data: { userId, role: 'admin' } }] });
      expect(spec.given(registered()).when(role('member'))).toEqual({ events: [] });
    });
    it('changes its password', () => {
      expect(spec.given(registered()).when({ type: 'ChangeUserPassword', data: { userId, passwordHash: otherHash } })).toEqual({
        events: [{ type: 'UserPasswordChanged', data: { userId, passwordHash: otherHash } }],
      });
    });
    it('disables it', () => {
      expect(spec.given(registered()).when(disable())).toEqual({ events: [disabled] });
    });
  });

  describe('given the only enabled owner', () => {
    it('refuses to demote or disable it', () => {
      expect(spec.given(registered('owner')).when(role('admin'))).toMatchObject({ error: 'LAST_OWNER' });
      expect(spec.given(registered('owner')).when(disable())).toMatchObject({ error: 'LAST_OWNER' });
    });
    it('demotes or disables it when another owner is enabled', () => {
      expect(spec.given(registered('owner')).when(role('member', 1))).toMatchObject({ events: [{ type: 'UserRoleChanged' }] });
      expect(spec.given(registered('owner')).when(disable(1))).toEqual({ events: [disabled] });
    });
  });

  describe('given a disabled user', () => {
    it('disables it again without appending', () => {
      expect(spec.given(registered(), disabled).when(disable())).toEqual({ events: [] });
    });
    it('enables it', () => {
      expect(spec.given(registered(), disabled).when({ type: 'EnableUser', data: { userId } })).toEqual({ events: [{ type: 'UserEnabled', data: { userId } }] });
    });
    it('demotes a disabled owner even when no other owner is enabled (it manages nothing while disabled)', () => {
      expect(spec.given(registered('owner'), disabled).when(role('member'))).toMatchObject({ events: [{ type: 'UserRoleChanged' }] });
    });
    it('keeps what it was', () => {
      expect(spec.given(registered('admin'), disabled).state()).toEqual({ status: 'disabled', userId, name: 'alice', role: 'admin', passwordHash: hash });
    });
  });

  it('evolve ignores events for a user it does not know', () => {
    const state = userDecider.initialState();
    expect(userDecider.evolve(state, disabled)).toBe(state);
  });
});
