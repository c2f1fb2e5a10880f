import { randomUUID } from 'node:crypto';
import { DomainError } from '../../domain/shared';
import * as user from '../../domain/user';
import { hashPassword, passwordProblem } from '../crypto/password';
import { UserReadModel } from '../readmodels/user';
import { handleCommand, type CommandContext } from './handle-command';
import type { ManagedEventStore, ManagedTransaction } from '../eventstore/typeorm-event-store';

export type RegisterUserInput = Readonly<{ name: string; role: user.Role; password: string }>;

const assertPassword = (password: string): void => {
  const problem = passwordProblem(password);
  if (problem !== null) throw new DomainError('INVALID_ARGUMENT', problem, { field: 'password' });
};

export type RestoredUser = Readonly<{ name: string; role: user.Role; passwordHash: string }>;

/** RegisterUser for a user of a restored backup: its password hash as it was (the domain checks it is a scrypt hash). */
export const restoreUserCommand = (userId: string, input: RestoredUser): user.UserCommand => ({ type: 'RegisterUser', data: { userId, name: input.name, role: input.role, passwordHash: input.passwordHash } });

/** DisableUser, with the other enabled owners counted in the command's transaction (the last owner stays). */
export const disableUserCommand =
  (userId: string) =>
  async (_state: unknown, tx: ManagedTransaction): Promise<user.UserCommand> => ({ type: 'DisableUser', data: { userId, otherActiveOwners: await new UserReadModel(tx.manager).otherEnabledOwners(userId) } });

/** The command handlers of the user streams. Passwords are hashed here; the domain and the log see only hashes. */
export class UserCommands {
  constructor(private readonly store: ManagedEventStore) {}

  async register(input: RegisterUserInput, context: CommandContext) {
    assertPassword(input.password);
    const userId = randomUUID();
    const passwordHash = await hashPassword(input.password);
    const result = await handleCommand(this.store, user.userDecider, user.userStreamId(userId), { type: 'RegisterUser', data: { userId, name: input.name, role: input.role, passwordHash } }, context);
    return { userId, result };
  }

  /**
   * The first-start setup link's registration: an owner, only while the store has no user at all
   * (checked in the append's transaction, so two people racing for one link get one owner).
   */
  async registerFirstOwner(input: Readonly<{ name: string; password: string }>, context: CommandContext) {
    assertPassword(input.password);
    const userId = randomUUID();
    const passwordHash = await hashPassword(input.password);
    const result = await handleCommand(
      this.store,
      user.userDecider,
      user.userStreamId(userId),
      async (_state, tx): Promise<user.UserCommand> => {
        if ((await new UserReadModel(tx.manager).count()) > 0) throw new DomainError('SETUP_ALREADY_DONE', 'Gatehouse already has users: sign in instead');
        return { type: 'RegisterUser', data: { userId, name: input.name, role: 'owner', passwordHash } };
      },
      context,
    );
    return { userId, result };
  }

  /** A user of a restored backup: its password hash as it was (the domain checks it is a scrypt hash). */
  async restore(input: RestoredUser, context: CommandContext) {
    const userId = randomUUID();
    const result = await handleCommand(this.store, user.userDecider, user.userStreamId(userId), restoreUserCommand(userId, input), context);
    return { userId, result };
  }

  rename(userId: string, name: string, context: CommandContext) {
    return handleCommand(this.store, user.userDecider, user.userStreamId(userId), { type: 'RenameUser', data: { userId, name } }, context);
  }

  changeRole(userId: string, role: user.Role, context: CommandContext) {
    return handleCommand(
      this.store,
      user.userDecider,
      user.userStreamId(userId),
      async (_state, tx): Promise<user.UserCommand> => ({ type: 'ChangeUserRole', data: { userId, role, otherActiveOwners: await new UserReadModel(tx.manager).otherEnabledOwners(userId) } }),
      context,
    );
  }

  async changePassword(userId: string, password: string, context: CommandContext) {
    assertPassword(password);
    const passwordHash = await hashPassword(password);
    return handleCommand(this.store, user.userDecider, user.userStreamId(userId), { type: 'ChangeUserPassword', data: { userId, passwordHash } }, context);
  }

  disable(userId: string, context: CommandContext) {
    return handleCommand(this.store, user.userDecider, user.userStreamId(userId), disableUserCommand(userId), context);
  }

  enable(userId: string, context: CommandContext) {
    return handleCommand(this.store, user.userDecider, user.userStreamId(userId), { type: 'EnableUser', data: { userId } }, context);
  }
}
