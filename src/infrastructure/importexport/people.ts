import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import * as access from '../../domain/access';
import type { ResourceKind } from '../../domain/access';
import { DomainError } from '../../domain/shared';
import * as user from '../../domain/user';
import { assertPasswordHash, ROLES, USER_NAME, type Role } from '../../domain/user';
import { setAccessCommand } from '../commands/access.commands';
import { appendDecided, decideOnStream, type CommandContext, type DecidedAppend } from '../commands/handle-command';
import { disableUserCommand, restoreUserCommand, type RestoredUser } from '../commands/user.commands';
import { AccessReadModel } from '../readmodels/access';
import { ProfileReadModel } from '../readmodels/profile';
import { ServerReadModel } from '../readmodels/server';
import { UserReadModel } from '../readmodels/user';
import { isPlainObject } from './fields';
import type { AccessEntry, PeopleSection, UserEntry } from './people-section';
import type { ManagedTransaction } from '../eventstore/typeorm-event-store';

/** document.ts's ErrorCollector as this module uses it (document.ts imports this module's types). */
type ErrorCollector = { add: (field: string, message: string) => void };

export type { AccessEntry, PeopleSection, UserEntry } from './people-section';

/** A password hash as it goes into the document: left out of a plain export, sealed in a backup. */
export type PasswordHashWriter = ((hash: string, userName: string) => unknown) | null;

export const exportPeople = async (manager: EntityManager, writeHash: PasswordHashWriter): Promise<PeopleSection> => {
  const users = await new UserReadModel(manager).list();
  const names = new Map(users.map((row) => [row.id, row.name]));
  const nameOf = (id: string): string => names.get(id) ?? id;
  const accessRows = new AccessReadModel(manager);
  const section = async (kind: ResourceKind, resources: readonly { id: string; key: string }[]): Promise<Record<string, AccessEntry>> => {
    const entries: Record<string, AccessEntry> = {};
    for (const { id, key } of resources) {
      const access = await accessRows.of(kind, id);
      if (access.version === 0) continue;
      entries[key] = { owner: access.ownerId === null ? null : nameOf(access.ownerId), visibility: access.visibility, sharedWithUsers: access.sharedWithUsers.map(nameOf), sharedWithRoles: [...access.sharedWithRoles] };
    }
    return entries;
  };
  return {
    users: users.map((row) => ({ name: row.name, role: row.role, status: row.status, ...(writeHash === null ? {} : { passwordHash: writeHash(row.passwordHash, row.name) as string }) })),
    access: {
      profiles: await section('profile', (await new ProfileReadModel(manager).listActive()).map((row) => ({ id: row.id, key: row.slug }))),
      servers: await section('server', (await new ServerReadModel(manager).list()).map((row) => ({ id: row.id, key: row.name }))),
    },
  };
};

const MAX_USERS = 10_000;

const parseAccess = (raw: unknown, path: string, errors: ErrorCollector): AccessEntry | null => {
  if (!isPlainObject(raw)) return (errors.add(path, 'must be an object {owner, visibility, sharedWithUsers, sharedWithRoles}'), null);
  const unknown = Object.keys(raw).filter((key) => !['owner', 'visibility', 'sharedWithUsers', 'sharedWithRoles'].includes(key));
  if (unknown.length > 0) return (errors.add(path, `unknown field ${JSON.stringify(unknown[0])}`), null);
  const { owner, visibility, sharedWithUsers, sharedWithRoles } = raw;
  const names = (value: unknown): value is string[] => Array.isArray(value) && value.length <= MAX_USERS && value.every((item) => typeof item === 'string' && USER_NAME.test(item));
  if (owner !== null && (typeof owner !== 'string' || !USER_NAME.test(owner))) return (errors.add(`${path}.owner`, 'must be a user name or null'), null);
  if (visibility !== 'private' && visibility !== 'shared') return (errors.add(`${path}.visibility`, 'must be "private" or "shared"'), null);
  if (!names(sharedWithUsers)) return (errors.add(`${path}.sharedWithUsers`, 'must be a list of user names'), null);
  if (!Array.isArray(sharedWithRoles) || !sharedWithRoles.every((role) => (ROLES as readonly unknown[]).includes(role))) return (errors.add(`${path}.sharedWithRoles`, `must be a list of ${ROLES.join(', ')}`), null);
  return { owner, visibility, sharedWithUsers, sharedWithRoles: sharedWithRoles as Role[] };
};

const parseAccessMap = (raw: unknown, path: string, errors: ErrorCollector): Record<string, AccessEntry> => {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) return (errors.add(path, 'must be an object'), {});
  const entries: Record<string, AccessEntry> = {};
  for (const [key, value] of Object.entries(raw)) {
    const entry = parseAccess(value, `${path}.${key}`, errors);
    if (entry !== null) entries[key] = entry;
  }
  return entries;
};

const isPasswordHash = (value: string): boolean => {
  try {
    assertPasswordHash(value);
    return true;
  } catch {
    return false;
  }
};

/**
 * Password hashes come from a backup only (sealed there): a plain document cannot bring users
 * with passwords, else anyone allowed to import (an admin) could make an owner.
 */
const parseUser = (raw: unknown, path: string, errors: ErrorCollector, fromBackup: boolean): UserEntry | null => {
  if (!isPlainObject(raw)) return (errors.add(path, 'must be an object {name, role, status}'), null);
  const unknown = Object.keys(raw).filter((key) => !['name', 'role', 'status', 'passwordHash'].includes(key));
  if (unknown.length > 0) return (errors.add(path, `unknown field ${JSON.stringify(unknown[0])}`), null);
  const { name, role, status, passwordHash } = raw;
  if (typeof name !== 'string' || !USER_NAME.test(name)) return (errors.add(`${path}.name`, 'must be a user name'), null);
  if (!(ROLES as readonly unknown[]).includes(role)) return (errors.add(`${path}.role`, `must be one of ${ROLES.join(', ')}`), null);
  if (status !== 'enabled' && status !== 'disabled') return (errors.add(`${path}.status`, 'must be "enabled" or "disabled"'), null);
  if (passwordHash !== undefined && !fromBackup) return (errors.add(`${path}.passwordHash`, 'password hashes are restored from a backup only (gatehouse export --with-secrets)'), null);
  if (passwordHash !== undefined && (typeof passwordHash !== 'string' || passwordHash.length > 512 || !isPasswordHash(passwordHash))) return (errors.add(`${path}.passwordHash`, 'must be a scrypt hash'), null);
  return { name, role: role as Role, status, ...(passwordHash === undefined ? {} : { passwordHash }) };
};

/** The section's `users` and `access`, or null when it has neither (documents exported before they existed). */
export const parsePeople = (section: Readonly<Record<string, unknown>>, errors: ErrorCollector, fromBackup: boolean): PeopleSection | null => {
  if (section.users === undefined && section.access === undefined) return null;
  const users: UserEntry[] = [];
  if (section.users !== undefined) {
    if (!Array.isArray(section.users) || section.users.length > MAX_USERS) errors.add('gatehouse.users', `must be a list of at most ${MAX_USERS} users`);
    else {
      const seen = new Set<string>();
      section.users.forEach((raw, index) => {
        const user = parseUser(raw, `gatehouse.users[${index}]`, errors, fromBackup);
        if (user === null) return;
        if (seen.has(user.name)) return errors.add(`gatehouse.users[${index}].name`, `"${user.name}" is listed twice`);
        seen.add(user.name);
        users.push(user);
      });
    }
  }
  const access = section.access === undefined ? {} : section.access;
  if (!isPlainObject(access)) {
    errors.add('gatehouse.access', 'must be an object {profiles, servers}');
    return { users, access: { profiles: {}, servers: {} } };
  }
  const unknown = Object.keys(access).filter((key) => key !== 'profiles' && key !== 'servers');
  if (unknown.length > 0) errors.add('gatehouse.access', `unknown field ${JSON.stringify(unknown[0])}`);
  return { users, access: { profiles: parseAccessMap(access.profiles, 'gatehouse.access.profiles', errors), servers: parseAccessMap(access.servers, 'gatehouse.access.servers', errors) } };
};

export type PeopleOutcome = Readonly<{
  /** Users the import registered (a backup's, with their password hashes), or would in a dry run. */
  usersCreated: readonly string[];
  /** Access settings it set (`profile:<slug>`, `server:<name>`) that differed from the store's. */
  accessSet: readonly string[];
  warnings: readonly string[];
  /** Events appended for these (0 in a dry run). */
  appended: number;
}>;

/**
 * Applies the section after the servers and profiles (access names them), in the import's own
 * transaction, so that the import is all or nothing and nobody sees its servers before their
 * access: users missing by name are registered when the document carries their password hash (a
 * backup), else named in a warning (a plain export has no passwords); existing users are left as
 * they are; disabled ones are disabled once all are registered (the last-owner rule counts the
 * restored owners). Each access entry of a profile or server present after the import is set,
 * unless it names a user the store lacks or the domain refuses it (a warning, nothing appended).
 * `tx` null is a dry run: it appends nothing, and `imported` names what the equally dry import
 * would have made.
 */
export const applyPeople = async (
  reads: EntityManager,
  people: PeopleSection,
  run: Readonly<{ tx: ManagedTransaction | null; imported: Readonly<{ profiles: ReadonlySet<string>; servers: ReadonlySet<string> }> }>,
  context: CommandContext,
): Promise<PeopleOutcome> => {
  const { tx } = run;
  const dryRun = tx === null;
  const users = new UserReadModel(reads);
  const usersCreated: string[] = [];
  const toDisable: string[] = [];
  const warnings: string[] = [];
  let appended = 0;
  const append = async <State>(decided: DecidedAppend<State>): Promise<void> => {
    appended += (await appendDecided(tx as ManagedTransaction, [decided], context)).length;
  };
  for (const entry of people.users) {
    if ((await users.byName(entry.name)) !== null) continue;
    if (entry.passwordHash === undefined) {
      warnings.push(`user "${entry.name}" was not created: a plain export has no passwords (create it with \`gatehouse users create\`, or restore a backup)`);
      continue;
    }
    usersCreated.push(entry.name);
    if (tx === null) continue;
    const userId = randomUUID();
    await append(await decideOnStream(tx, user.userDecider, user.userStreamId(userId), restoreUserCommand(userId, entry as RestoredUser)));
    if (entry.status === 'disabled') toDisable.push(userId);
  }
  for (const userId of toDisable) await append(await decideOnStream(tx as ManagedTransaction, user.userDecider, user.userStreamId(userId), disableUserCommand(userId)));
  const known = async (name: string): Promise<boolean> => (await users.byName(name)) !== null || (dryRun && usersCreated.includes(name));
  const accessSet: string[] = [];
  const apply = async (kind: ResourceKind, key: string, resourceId: string | null, entry: AccessEntry): Promise<void> => {
    const wouldExist = dryRun && (kind === 'profile' ? run.imported.profiles : run.imported.servers).has(key);
    if (resourceId === null && !wouldExist) return void warnings.push(`access of ${kind} "${key}" was not set: there is no such ${kind}`);
    const missing = [...(entry.owner === null ? [] : [entry.owner]), ...entry.sharedWithUsers];
    for (const name of missing) if (!(await known(name))) return void warnings.push(`access of ${kind} "${key}" was not set: it names user "${name}", who does not exist here`);
    if (tx === null || resourceId === null) return void accessSet.push(`${kind}:${key}`);
    let decided: DecidedAppend<unknown>;
    try {
      decided = await decideOnStream(tx, access.accessDecider, access.accessStreamId(kind, resourceId), setAccessCommand(kind, resourceId, entry));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return void warnings.push(`access of ${kind} "${key}" was not set: ${error.message}`);
    }
    await append(decided);
    if (decided.events.length > 0) accessSet.push(`${kind}:${key}`);
  };
  for (const [slug, entry] of Object.entries(people.access.profiles)) await apply('profile', slug, (await new ProfileReadModel(reads).findBySlug(slug))?.id ?? null, entry);
  for (const [name, entry] of Object.entries(people.access.servers)) await apply('server', name, (await new ServerReadModel(reads).find(name))?.id ?? null, entry);
  return { usersCreated, accessSet, warnings, appended };
};
