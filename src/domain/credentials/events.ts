import type { DomainEvent, SealedMap, SealedSecret } from '../shared';

/**
 * One user's own credentials for one server whose `credentials` setting is `per_user`: what
 * reaches the upstream when that user's sessions call it. Sealed like a server's own secrets;
 * the events never hold a plaintext. A set replaces the whole set (bearer token and env values).
 */
export type UserCredentialsSet = DomainEvent<
  'UserCredentialsSet',
  { serverId: string; userId: string; bearerToken: SealedSecret | null; env: SealedMap }
>;
/** The user removed them (or nobody may use them any more); their upstream connections close. */
export type UserCredentialsRemoved = DomainEvent<'UserCredentialsRemoved', { serverId: string; userId: string }>;

export type UserCredentialsEvent = UserCredentialsSet | UserCredentialsRemoved;

export const USER_CREDENTIALS_EVENT_TYPES: readonly UserCredentialsEvent['type'][] = ['UserCredentialsSet', 'UserCredentialsRemoved'];

export const userCredentialsStreamId = (serverId: string, userId: string): string => `credentials-${serverId}-${userId}`;
