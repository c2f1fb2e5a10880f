import { type Decider, DomainError, assertNever, unknownEvent } from '../shared';
import type { ChangeUserRole, DisableUser, RegisterUser, UserCommand } from './commands';
import type { Role, UserEvent } from './events';
import { assertPasswordHash, assertRole, assertUserName } from './validate';

type UserRecord = Readonly<{ userId: string; name: string; role: Role; passwordHash: string }>;

export type NoUser = Readonly<{ status: 'empty' }>;
export type EnabledUser = UserRecord & Readonly<{ status: 'enabled' }>;
export type DisabledUser = UserRecord & Readonly<{ status: 'disabled' }>;
export type UserState = NoUser | EnabledUser | DisabledUser;

export const initialState = (): UserState => ({ status: 'empty' });

const notFound = (userId: string): DomainError => new DomainError('USER_NOT_FOUND', `User ${userId} does not exist`, { userId });

const lastOwner = (): DomainError =>
  new DomainError('LAST_OWNER', 'This is the only enabled owner: make another user owner first', { field: 'role' });

const registerUser = ({ data }: RegisterUser, state: UserState): UserEvent[] => {
  if (state.status !== 'empty') throw new DomainError('USER_ALREADY_EXISTS', `User ${data.userId} already exists`, { userId: data.userId });
  assertUserName(data.name);
  assertRole(data.role);
  assertPasswordHash(data.passwordHash);
  return [{ type: 'UserRegistered', data: { userId: data.userId, name: data.name, role: data.role, passwordHash: data.passwordHash } }];
};

const changeRole = ({ data }: ChangeUserRole, state: EnabledUser | DisabledUser): UserEvent[] => {
  assertRole(data.role);
  if (state.role === data.role) return [];
  if (state.role === 'owner' && state.status === 'enabled' && data.otherActiveOwners === 0) throw lastOwner();
  return [{ type: 'UserRoleChanged', data: { userId: data.userId, role: data.role } }];
};

const disable = ({ data }: DisableUser, state: EnabledUser | DisabledUser): UserEvent[] => {
  if (state.status === 'disabled') return [];
  if (state.role === 'owner' && data.otherActiveOwners === 0) throw lastOwner();
  return [{ type: 'UserDisabled', data: { userId: data.userId } }];
};

export const decide = (command: UserCommand, state: UserState): UserEvent[] => {
  if (command.type === 'RegisterUser') return registerUser(command, state);
  if (state.status === 'empty') throw notFound(command.data.userId);
  switch (command.type) {
    case 'RenameUser':
      assertUserName(command.data.name);
      return state.name === command.data.name ? [] : [{ type: 'UserRenamed', data: { userId: command.data.userId, name: command.data.name } }];
    case 'ChangeUserRole':
      return changeRole(command, state);
    case 'ChangeUserPassword':
      assertPasswordHash(command.data.passwordHash);
      return [{ type: 'UserPasswordChanged', data: { userId: command.data.userId, passwordHash: command.data.passwordHash } }];
    case 'DisableUser':
      return disable(command, state);
    case 'EnableUser':
      return state.status === 'enabled' ? [] : [{ type: 'UserEnabled', data: { userId: command.data.userId } }];
    default:
      return assertNever(command);
  }
};

export const evolve = (state: UserState, event: UserEvent): UserState => {
  if (event.type === 'UserRegistered') return { status: 'enabled', ...event.data };
  if (state.status === 'empty') return state;
  switch (event.type) {
    case 'UserRenamed':
      return { ...state, name: event.data.name };
    case 'UserRoleChanged':
      return { ...state, role: event.data.role };
    case 'UserPasswordChanged':
      return { ...state, passwordHash: event.data.passwordHash };
    case 'UserDisabled':
      return { ...state, status: 'disabled' };
    case 'UserEnabled':
      return { ...state, status: 'enabled' };
    default:
      return unknownEvent(event, state);
  }
};

export const userDecider: Decider<UserState, UserCommand, UserEvent> = { decide, evolve, initialState };
