import type { DomainEvent } from '../shared';
import type { Role } from '../user/events';

export type ResourceKind = 'profile' | 'server';

/**
 * Who owns a profile or a server and who else may see and use it. `private`: its owner (and
 * admins, who manage everything); `shared`: also the users and roles listed. A resource with no
 * access event is private to admins (everything made before users existed).
 */
export type Access = Readonly<{
  ownerId: string | null;
  visibility: 'private' | 'shared';
  sharedWithUsers: readonly string[];
  sharedWithRoles: readonly Role[];
}>;

export type AccessChanged = DomainEvent<'AccessChanged', { kind: ResourceKind; resourceId: string } & Access>;
export type AccessEvent = AccessChanged;

export const ACCESS_EVENT_TYPES: readonly AccessEvent['type'][] = ['AccessChanged'];

export const accessStreamId = (kind: ResourceKind, resourceId: string): string => `access-${kind}-${resourceId}`;

export const PRIVATE_TO_ADMINS: Access = { ownerId: null, visibility: 'private', sharedWithUsers: [], sharedWithRoles: [] };
