import type { EntityManager } from 'typeorm';
import type { ProfileEvent } from '../../domain/profile/events';
import type { ServerEvent } from '../../domain/server/events';
import { DomainError } from '../../domain/shared';
import type { AppendGuard, StoredEvent } from '../eventstore';
import { ProfileReadModel } from '../readmodels/profile';
import { ServerReadModel } from '../readmodels/server';

type Claim = Readonly<{ kind: 'profile' | 'server'; name: string; ownerId: string }>;

/** The name an event gives its profile or server, if it gives one. */
const claimOf = (event: StoredEvent): Claim | null => {
  const domainEvent = { type: event.type, data: event.data } as ProfileEvent | ServerEvent;
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
    default:
      return null;
  }
};

const holderOf = (claim: Claim, manager: EntityManager): Promise<string | null> =>
  claim.kind === 'profile' ? new ProfileReadModel(manager).slugHolder(claim.name) : new ServerReadModel(manager).nameHolder(claim.name);

const taken = (claim: Claim): DomainError =>
  claim.kind === 'profile'
    ? new DomainError('PROFILE_SLUG_TAKEN', `A profile with slug "${claim.name}" already exists`, { field: 'slug' })
    : new DomainError('SERVER_NAME_TAKEN', `A server named "${claim.name}" already exists`, { field: 'name' });

/**
 * The one home of the rule that no two active profiles share a slug and no two active servers a
 * name. It runs in the append transaction against the read models, whatever command appends
 * (create, rename, revert, import), so two concurrent requests for one name cannot both win.
 */
export const uniqueNames: AppendGuard = {
  eventTypes: new Set(['ProfileCreated', 'ProfileRestored', 'ProfileUpdated', 'ServerRegistered', 'ServerRestored', 'ServerRenamed']),
  check: async (event, manager) => {
    const claim = claimOf(event);
    if (claim === null) return;
    const holder = await holderOf(claim, manager);
    if (holder !== null && holder !== claim.ownerId) throw taken(claim);
  },
};
