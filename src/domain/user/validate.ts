import { DomainError } from '../shared';
import { ROLES, type Role } from './events';

/** Login names: lower case, so that "Alice" and "alice" cannot be two people. */
export const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** What the handler's hasher produces: scrypt, its cost parameters, a salt and the derived key, base64url. */
const PASSWORD_HASH = /^scrypt\$\d{1,8}\$\d{1,3}\$\d{1,3}\$[A-Za-z0-9_-]{16,}\$[A-Za-z0-9_-]{32,}$/;

const invalid = (field: string, message: string): DomainError => new DomainError('INVALID_ARGUMENT', message, { field });

export const assertUserName = (name: string): void => {
  if (!USER_NAME.test(name)) {
    throw invalid('name', 'name must be 1 to 64 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
};

export function assertRole(role: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) throw invalid('role', `role must be one of ${ROLES.join(', ')}`);
}

export const assertPasswordHash = (hash: string): void => {
  if (!PASSWORD_HASH.test(hash)) throw invalid('passwordHash', 'passwordHash must be a scrypt hash, never a password');
};
