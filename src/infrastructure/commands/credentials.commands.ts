import * as credentials from '../../domain/credentials';
import { secretValueProblem } from '../../domain/server';
import { DomainError } from '../../domain/shared';
import { sealMap, type SecretBox } from '../crypto';
import { ServerReadModel } from '../readmodels/server';
import { handleCommand, type CommandContext } from './handle-command';
import type { ManagedEventStore } from '../eventstore/typeorm-event-store';

/** A user's own credentials as they write them: plaintext, sealed here before they reach a command. */
export type UserCredentialsInput = Readonly<{ bearerToken?: string | null; env?: Readonly<Record<string, string>> }>;

const refuse = (field: string, problem: string | null): void => {
  if (problem !== null) throw new DomainError('INVALID_CREDENTIALS', `${field} ${problem}`, { field });
};

/** The command handlers of the `credentials-<server>-<user>` streams. */
export class UserCredentialsCommands {
  constructor(
    private readonly store: ManagedEventStore,
    private readonly secrets: SecretBox,
  ) {}

  /** Replaces `userId`'s credentials for an active per-user server. */
  set(serverId: string, userId: string, input: UserCredentialsInput, context: CommandContext) {
    const token = input.bearerToken ?? null;
    // Checked before sealing: a sealed value cannot be looked at. The token travels in a header.
    if (token !== null) refuse('bearerToken', secretValueProblem('headers', token));
    for (const [name, value] of Object.entries(input.env ?? {})) refuse(`env.${name}`, secretValueProblem('env', value));
    const bearerToken = token === null ? null : this.secrets.seal(token);
    const env = sealMap(this.secrets, input.env);
    return handleCommand(
      this.store,
      credentials.userCredentialsDecider,
      credentials.userCredentialsStreamId(serverId, userId),
      async (_state, tx): Promise<credentials.UserCredentialsCommand> => {
        await assertPerUserServer(new ServerReadModel(tx.manager), serverId);
        return { type: 'SetUserCredentials', data: { serverId, userId, bearerToken, env } };
      },
      context,
    );
  }

  remove(serverId: string, userId: string, context: CommandContext) {
    return handleCommand(
      this.store,
      credentials.userCredentialsDecider,
      credentials.userCredentialsStreamId(serverId, userId),
      { type: 'RemoveUserCredentials', data: { serverId, userId } },
      context,
    );
  }
}

/** Refuses a server that is gone or does not take each user's own credentials. */
export const assertPerUserServer = async (servers: ServerReadModel, serverId: string): Promise<void> => {
  const row = await servers.byId(serverId);
  if (row === null || row.status !== 'active') throw new DomainError('SERVER_NOT_FOUND', `Server ${serverId} does not exist`, { serverId });
  if (row.credentials !== 'per_user') {
    throw new DomainError(
      'CREDENTIALS_NOT_PER_USER',
      `Server "${row.name}" uses its own shared credentials; per-user credentials apply only once an admin sets its credentials to per_user`,
      { serverId },
    );
  }
};
