import type { DomainCommand } from '../shared';
import type { ApiKeyIssued } from './events';

/**
 * Issues a key. The handler generates the key, hashes it and passes only the hash and prefix.
 * `issuedAt` is the handler's clock (ISO 8601), so that an expiry in the past can be refused
 * without the domain reading the clock.
 */
export type IssueApiKey = DomainCommand<'IssueApiKey', ApiKeyIssued['data'] & { issuedAt: string }>;

export type RevokeApiKey = DomainCommand<'RevokeApiKey', { keyId: string }>;

export type ApiKeyCommand = IssueApiKey | RevokeApiKey;
