import type { DomainCommand } from '../shared';
import type { PersonalAccessTokenIssued } from './events';

/**
 * Issues a token. The handler generates the token, hashes it and passes only the hash and prefix;
 * `issuedAt` is the handler's clock, so that an expiry in the past is refused without a clock here.
 */
export type IssuePersonalAccessToken = DomainCommand<'IssuePersonalAccessToken', PersonalAccessTokenIssued['data'] & { issuedAt: string }>;
/** `userId`: whose token the caller believes it is; another user's token is "not found". */
export type RevokePersonalAccessToken = DomainCommand<'RevokePersonalAccessToken', { tokenId: string; userId: string }>;

export type PersonalAccessTokenCommand = IssuePersonalAccessToken | RevokePersonalAccessToken;
