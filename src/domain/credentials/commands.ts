import type { DomainCommand } from '../shared';
import type { UserCredentialsSet, UserOAuthTokensGranted, UserOAuthTokensRefreshed, UserOAuthTokensRevoked } from './events';

/** Sets (replaces) a user's credentials for a server; the values arrive sealed. Their OAuth grant stays. */
export type SetUserCredentials = DomainCommand<'SetUserCredentials', UserCredentialsSet['data']>;
/** Removes all of them, the OAuth grant included. */
export type RemoveUserCredentials = DomainCommand<'RemoveUserCredentials', { serverId: string; userId: string }>;

/** Records the tokens of the user's finished authorization (code exchange); replaces an earlier grant. */
export type GrantUserOAuthTokens = DomainCommand<'GrantUserOAuthTokens', UserOAuthTokensGranted['data']>;
/**
 * Records a refresh. `refreshedFrom` is the fingerprint of the access token replaced: a refresh
 * that raced with a newer grant (or another refresh) is dropped.
 */
export type RefreshUserOAuthTokens = DomainCommand<'RefreshUserOAuthTokens', UserOAuthTokensRefreshed['data'] & { refreshedFrom: string }>;
/** Forgets the grant; `ofAccessToken` (a fingerprint) limits it to those tokens, null: whatever is current. */
export type RevokeUserOAuthTokens = DomainCommand<'RevokeUserOAuthTokens', UserOAuthTokensRevoked['data'] & { ofAccessToken: string | null }>;

export type UserCredentialsCommand = SetUserCredentials | RemoveUserCredentials | GrantUserOAuthTokens | RefreshUserOAuthTokens | RevokeUserOAuthTokens;
