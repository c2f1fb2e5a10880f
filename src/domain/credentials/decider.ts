import { type Decider, DomainError, assertNever, sameSealedMap, sameSecret } from '../shared';
import type { RemoveUserCredentials, SetUserCredentials, UserCredentialsCommand } from './commands';
import type { UserCredentialsEvent, UserCredentialsSet } from './events';

type Credentials = UserCredentialsSet['data'];

export type NoCredentials = Readonly<{ status: 'none' }>;
export type StoredCredentials = Readonly<Credentials & { status: 'set' }>;
export type UserCredentialsState = NoCredentials | StoredCredentials;

export const initialState = (): UserCredentialsState => ({ status: 'none' });

/** What a process environment can carry as a name (see the server's env). */
const ENV_NAME_PATTERN = /^[^=\0]+$/;

const invalid = (field: string, message: string): DomainError => new DomainError('INVALID_CREDENTIALS', message, { field });

/** Setting the same values again (same fingerprints) is a no-op; nothing at all is refused. */
const set = ({ data }: SetUserCredentials, state: UserCredentialsState): UserCredentialsEvent[] => {
  const names = Object.keys(data.env);
  if (data.bearerToken === null && names.length === 0) throw invalid('bearerToken', 'give a bearerToken, env values, or both');
  const badName = names.find((name) => !ENV_NAME_PATTERN.test(name));
  if (badName !== undefined) throw invalid('env', `"${badName}" is not a valid environment variable name`);
  if (state.status === 'set' && sameSecret(state.bearerToken, data.bearerToken) && sameSealedMap(state.env, data.env)) return [];
  return [{ type: 'UserCredentialsSet', data: { serverId: data.serverId, userId: data.userId, bearerToken: data.bearerToken, env: data.env } }];
};

const remove = ({ data }: RemoveUserCredentials, state: UserCredentialsState): UserCredentialsEvent[] =>
  state.status === 'none' ? [] : [{ type: 'UserCredentialsRemoved', data: { serverId: data.serverId, userId: data.userId } }];

export const decide = (command: UserCredentialsCommand, state: UserCredentialsState): UserCredentialsEvent[] => {
  switch (command.type) {
    case 'SetUserCredentials':
      return set(command, state);
    case 'RemoveUserCredentials':
      return remove(command, state);
    default:
      return assertNever(command);
  }
};

export const evolve = (state: UserCredentialsState, event: UserCredentialsEvent): UserCredentialsState => {
  switch (event.type) {
    case 'UserCredentialsSet':
      return { status: 'set', ...event.data };
    case 'UserCredentialsRemoved':
      return { status: 'none' };
    default:
      return state;
  }
};

export const userCredentialsDecider: Decider<UserCredentialsState, UserCredentialsCommand, UserCredentialsEvent> = { decide, evolve, initialState };
