import type { DomainEvent } from '../shared';

/**
 * A personal access token: a user's own bearer token for the REST API, acting as that user with
 * that user's role. Like an API key it is shown once and stored only as a hash.
 */
export type PersonalAccessTokenIssued = DomainEvent<
  'PersonalAccessTokenIssued',
  {
    tokenId: string;
    /** The user the token acts as. */
    userId: string;
    name: string;
    /** SHA-256 of the token, hex. The token itself is shown once and never stored. */
    hash: string;
    /** The first characters of the token, for people to recognise it (`ghp_AbCd…`). */
    prefix: string;
    expiresAt: string | null;
  }
>;
export type PersonalAccessTokenRevoked = DomainEvent<'PersonalAccessTokenRevoked', { tokenId: string; userId: string }>;

export type PersonalAccessTokenEvent = PersonalAccessTokenIssued | PersonalAccessTokenRevoked;

export const PAT_EVENT_TYPES: readonly PersonalAccessTokenEvent['type'][] = ['PersonalAccessTokenIssued', 'PersonalAccessTokenRevoked'];

export const patStreamId = (tokenId: string): string => `pat-${tokenId}`;
