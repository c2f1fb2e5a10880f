import type { DomainEvent } from '../shared';

/** `["*"]` opens every profile; otherwise profile ids (not slugs, which can be renamed). */
export type KeyScope = readonly string[];

export type ApiKeyIssued = DomainEvent<
  'ApiKeyIssued',
  {
    keyId: string;
    name: string;
    /** SHA-256 of the key, hex. The key itself is shown once and never stored. */
    hash: string;
    /** The first characters of the key, for people to recognise it (`gh_AbCd…`). */
    prefix: string;
    profiles: KeyScope;
    expiresAt: string | null;
    /** The user the key belongs to; absent or null: issued with the admin token (or before users existed). */
    ownerId?: string | null;
  }
>;
export type ApiKeyRevoked = DomainEvent<'ApiKeyRevoked', { keyId: string }>;

export type ApiKeyEvent = ApiKeyIssued | ApiKeyRevoked;

export const APIKEY_EVENT_TYPES: readonly ApiKeyEvent['type'][] = ['ApiKeyIssued', 'ApiKeyRevoked'];

export const apiKeyStreamId = (keyId: string): string => `apikey-${keyId}`;
