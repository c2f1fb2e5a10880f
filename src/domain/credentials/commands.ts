import type { DomainCommand } from '../shared';
import type { UserCredentialsSet } from './events';

/** Sets (replaces) a user's credentials for a server; the values arrive sealed. */
export type SetUserCredentials = DomainCommand<'SetUserCredentials', UserCredentialsSet['data']>;
export type RemoveUserCredentials = DomainCommand<'RemoveUserCredentials', { serverId: string; userId: string }>;

export type UserCredentialsCommand = SetUserCredentials | RemoveUserCredentials;
