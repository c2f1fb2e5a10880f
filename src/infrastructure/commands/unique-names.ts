import type { EntityManager } from 'typeorm';
import type { ProfileEvent } from '../../domain/profile/events';
import type { ServerEvent } from '../../domain/server/events';
import type { UserEvent } from '../../domain/user/events';
import { DomainError } from '../../domain/shared';
import type { AppendGuard, StoredEvent } from '../eventstore';
import { ProfileReadModel } from '../readmodels/profile';
import { ServerReadModel } from '../readmodels/server';
import { UserReadModel } from '../readmodels/user';

type Claim = Readonly<{ kind: 'profile' | 'server' | 'user'; name: string; ownerId: string }>;

/** The name an event gives its profile or server, if it gives one. */
const claimOf = (event: StoredEvent): Claim | null => {
  const domainEvent = { type: event.type, data: event.data } as ProfileEvent | ServerEvent | UserEvent;
  switch (domainEvent.type) {
    case 'ProfileCreated':
    case 'ProfileRestored':
      return { kind: 'profile', name: domainEvent.data.slug, ownerId: domainEvent.data.profileId };
    case 'ProfileUpdated':
      return domainEvent.data.changes.slug === undefined ? null : { kind: 'profile', name: domainEvent.data.changes.slug, ownerId: domainEvent.data.profileId };
    case 'ServerRegistered':
    case 'ServerRestored':
    case 'ServerRenamed':
      return { kind: 'server', name: domainEvent.data.name, ownerId: domainEvent.data.serverId };
    case 'UserRegistered':
    case 'UserRenamed':
      return { kind: 'user', name: domainEvent.data.name, ownerId: domainEvent.data.userId };
    default:
      return null;
  }
};

const holderOf = (claim: Claim, manager: EntityManager): Promise<string | null> => {
  switch (claim.kind) {
    case 'profile':
      return new ProfileReadModel(manager).slugHolder(claim.name);
    case 'server':
      return new ServerReadModel(manager).nameHolder(claim.name);
    case 'user':
      return new UserReadModel(manager).nameHolder(claim.name);
  }
};

const taken = (claim: Claim): DomainError => {
  switch (claim.kind) {
    case 'profile':
      return new DomainError('PROFILE_SLUG_TAKEN', `A profile with slug "${claim.name}" already exists`, { field: 'slug' });
    case 'server':
      return new DomainError('SERVER_NAME_TAKEN', `A server named "${claim.name}" already exists`, { field: 'name' });
    case 'user':
      return new DomainError('USER_NAME_TAKEN', `A user named "${claim.name}" already exists`, { field: 'name' });
  }
};

/**
 * The one home of the rule that no two active profiles share a slug, no two active servers a
 * name, and no two users a name. It runs in the append transaction against the read models, whatever command appends
 * (create, rename, revert, import), so two concurrent requests for one name cannot both win.
 */
export const uniqueNames: AppendGuard = {
  eventTypes: new Set(['ProfileCreated', 'ProfileRestored', 'ProfileUpdated', 'ServerRegistered', 'ServerRestored', 'ServerRenamed', 'UserRegistered', 'UserRenamed']),
  check: async (event, manager) => {
    const claim = claimOf(event);
    if (claim === null) return;
    const holder = await holderOf(claim, manager);
    if (holder !== null && holder !== claim.ownerId) throw taken(claim);
  },
};
