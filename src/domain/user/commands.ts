import type { DomainCommand } from '../shared';
import type { Role } from './events';

/** The handler hashes the password; the domain sees only the hash. */
export type RegisterUser = DomainCommand<'RegisterUser', { userId: string; name: string; role: Role; passwordHash: string }>;
export type RenameUser = DomainCommand<'RenameUser', { userId: string; name: string }>;
/**
 * `otherActiveOwners`: how many enabled owners there are besides this user (read by the handler
 * in the append transaction), so that the last owner cannot be demoted or disabled.
 */
export type ChangeUserRole = DomainCommand<'ChangeUserRole', { userId: string; role: Role; otherActiveOwners: number }>;
export type ChangeUserPassword = DomainCommand<'ChangeUserPassword', { userId: string; passwordHash: string }>;
export type DisableUser = DomainCommand<'DisableUser', { userId: string; otherActiveOwners: number }>;
export type EnableUser = DomainCommand<'EnableUser', { userId: string }>;

export type UserCommand = RegisterUser | RenameUser | ChangeUserRole | ChangeUserPassword | DisableUser | EnableUser;
