import type { Role } from '../../domain/user';

/**
 * Users and who may use what, in the `gatehouse` section: `users` (name, role, status; a backup
 * adds each password's scrypt hash, sealed under the passphrase) and `access` (owner and
 * visibility of the profiles and servers whose access was ever set), users by name.
 */
export type UserEntry = Readonly<{ name: string; role: Role; status: 'enabled' | 'disabled'; passwordHash?: string }>;
export type AccessEntry = Readonly<{ owner: string | null; visibility: 'private' | 'shared'; sharedWithUsers: readonly string[]; sharedWithRoles: readonly Role[] }>;
export type PeopleSection = Readonly<{ users: readonly UserEntry[]; access: Readonly<{ profiles: Readonly<Record<string, AccessEntry>>; servers: Readonly<Record<string, AccessEntry>> }> }>;
