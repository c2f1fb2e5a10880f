import type { DomainEvent } from '../shared';

/** Owner manages users; admin manages servers, profiles and keys; member uses what is shared with it. */
export type Role = 'owner' | 'admin' | 'member';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

export type UserRegistered = DomainEvent<
  'UserRegistered',
  {
    userId: string;
    name: string;
    role: Role;
    /** A scrypt hash with its parameters and salt (`scrypt$N$r$p$salt$hash`); never the password. */
    passwordHash: string;
  }
>;
export type UserRenamed = DomainEvent<'UserRenamed', { userId: string; name: string }>;
export type UserRoleChanged = DomainEvent<'UserRoleChanged', { userId: string; role: Role }>;
export type UserPasswordChanged = DomainEvent<'UserPasswordChanged', { userId: string; passwordHash: string }>;
export type UserDisabled = DomainEvent<'UserDisabled', { userId: string }>;
export type UserEnabled = DomainEvent<'UserEnabled', { userId: string }>;

export type UserEvent = UserRegistered | UserRenamed | UserRoleChanged | UserPasswordChanged | UserDisabled | UserEnabled;

export const USER_EVENT_TYPES: readonly UserEvent['type'][] = ['UserRegistered', 'UserRenamed', 'UserRoleChanged', 'UserPasswordChanged', 'UserDisabled', 'UserEnabled'];

export const userStreamId = (userId: string): string => `user-${userId}`;
