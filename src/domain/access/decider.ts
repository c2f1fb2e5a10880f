import { type Decider, DomainError, assertNever, jsonEqual } from '../shared';
import { ROLES } from '../user/events';
import { PRIVATE_TO_ADMINS, type Access, type AccessEvent, type ResourceKind } from './events';

/** The handler checks that the owner and the users exist (read models); the domain checks the shape. */
export type SetAccess = Readonly<{ type: 'SetAccess'; data: { kind: ResourceKind; resourceId: string } & Access }>;
export type AccessCommand = SetAccess;
export type AccessState = Access;

export const MAX_SHARED_USERS = 256;

const invalid = (field: string, message: string): DomainError => new DomainError('INVALID_ARGUMENT', message, { field });

const assertValid = (access: Access): void => {
  if (access.visibility !== 'private' && access.visibility !== 'shared') throw invalid('visibility', 'visibility must be private or shared');
  if (access.visibility === 'private' && (access.sharedWithUsers.length > 0 || access.sharedWithRoles.length > 0)) {
    throw invalid('visibility', 'a private resource is shared with nobody: set visibility to shared to list users or roles');
  }
  if (access.visibility === 'shared' && access.sharedWithUsers.length === 0 && access.sharedWithRoles.length === 0) {
    throw invalid('sharedWithUsers', 'a shared resource names at least one user or role');
  }
  if (access.sharedWithUsers.length > MAX_SHARED_USERS) throw invalid('sharedWithUsers', `at most ${MAX_SHARED_USERS} users`);
  if (new Set(access.sharedWithUsers).size !== access.sharedWithUsers.length) throw invalid('sharedWithUsers', 'users must not repeat');
  if (access.sharedWithRoles.some((role) => !ROLES.includes(role)) || new Set(access.sharedWithRoles).size !== access.sharedWithRoles.length) {
    throw invalid('sharedWithRoles', `roles must be distinct, among ${ROLES.join(', ')}`);
  }
};

const accessOf = (data: Access): Access => ({
  ownerId: data.ownerId,
  visibility: data.visibility,
  sharedWithUsers: [...data.sharedWithUsers],
  sharedWithRoles: [...data.sharedWithRoles],
});

export const decide = (command: AccessCommand, state: AccessState): AccessEvent[] => {
  switch (command.type) {
    case 'SetAccess': {
      assertValid(command.data);
      const next = accessOf(command.data);
      if (jsonEqual(next, accessOf(state))) return [];
      return [{ type: 'AccessChanged', data: { kind: command.data.kind, resourceId: command.data.resourceId, ...next } }];
    }
    default:
      return assertNever(command.type);
  }
};

export const evolve = (state: AccessState, event: AccessEvent): AccessState => (event.type === 'AccessChanged' ? accessOf(event.data) : state);

export const accessDecider: Decider<AccessState, AccessCommand, AccessEvent> = { decide, evolve, initialState: () => PRIVATE_TO_ADMINS };
