import * as access from '../../domain/access';
import { DomainError } from '../../domain/shared';
import { UserReadModel } from '../readmodels/user';
import { handleCommand, type CommandContext } from './handle-command';
import type { ManagedEventStore, ManagedTransaction } from '../eventstore/typeorm-event-store';

/** Access as people give it: users by name or id (stored as ids, which survive a rename). */
export type AccessInput = Readonly<{ owner: string | null; visibility: 'private' | 'shared'; sharedWithUsers: readonly string[]; sharedWithRoles: readonly access.Access['sharedWithRoles'][number][] }>;

/** SetAccess from people's input, the users' names resolved to ids in the command's transaction. */
export const setAccessCommand =
  (kind: access.ResourceKind, resourceId: string, input: AccessInput) =>
  async (_state: unknown, tx: ManagedTransaction): Promise<access.AccessCommand> => {
    const users = new UserReadModel(tx.manager);
    const idOf = async (key: string, field: string): Promise<string> => {
      const row = await users.byIdOrName(key);
      if (row === null) throw new DomainError('USER_NOT_FOUND', `No user "${key}"`, { field });
      return row.id;
    };
    const ownerId = input.owner === null ? null : await idOf(input.owner, 'owner');
    const sharedWithUsers: string[] = [];
    for (const key of input.sharedWithUsers) sharedWithUsers.push(await idOf(key, 'sharedWithUsers'));
    return { type: 'SetAccess', data: { kind, resourceId, ownerId, visibility: input.visibility, sharedWithUsers, sharedWithRoles: [...input.sharedWithRoles] } };
  };

/** The command handlers of the `access-<kind>-<id>` streams. */
export class AccessCommands {
  constructor(private readonly store: ManagedEventStore) {}

  set(kind: access.ResourceKind, resourceId: string, input: AccessInput, context: CommandContext) {
    return handleCommand(this.store, access.accessDecider, access.accessStreamId(kind, resourceId), setAccessCommand(kind, resourceId, input), context);
  }

  /** A resource made by a signed-in person is theirs, private. */
  own(kind: access.ResourceKind, resourceId: string, ownerId: string, context: CommandContext) {
    return handleCommand(this.store, access.accessDecider, access.accessStreamId(kind, resourceId), { type: 'SetAccess', data: { kind, resourceId, ...access.PRIVATE_TO_ADMINS, ownerId } }, context);
  }
}
