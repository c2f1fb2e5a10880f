import { type Decider, DomainError, assertNever, unknownEvent } from '../shared';
import type { IssuePersonalAccessToken, PersonalAccessTokenCommand, RevokePersonalAccessToken } from './commands';
import type { PersonalAccessTokenEvent, PersonalAccessTokenIssued } from './events';
import { assertValidIssue } from './validate';

type TokenRecord = PersonalAccessTokenIssued['data'];

export type EmptyToken = Readonly<{ status: 'empty' }>;
export type ActiveToken = Readonly<TokenRecord & { status: 'active' }>;
export type RevokedToken = Readonly<TokenRecord & { status: 'revoked' }>;
export type PersonalAccessTokenState = EmptyToken | ActiveToken | RevokedToken;

export const initialState = (): PersonalAccessTokenState => ({ status: 'empty' });

const recordOf = (source: TokenRecord): TokenRecord => ({
  tokenId: source.tokenId,
  userId: source.userId,
  name: source.name,
  hash: source.hash,
  prefix: source.prefix,
  expiresAt: source.expiresAt,
});

const notFound = (tokenId: string): DomainError => new DomainError('TOKEN_NOT_FOUND', `Personal access token ${tokenId} does not exist`, { tokenId });

/** Token ids are generated per issue, so an existing id is a conflict, never a retry. */
const issue = (command: IssuePersonalAccessToken, state: PersonalAccessTokenState): PersonalAccessTokenEvent[] => {
  assertValidIssue(command);
  if (state.status !== 'empty') throw new DomainError('TOKEN_ALREADY_EXISTS', `Personal access token ${command.data.tokenId} already exists`, { tokenId: command.data.tokenId });
  return [{ type: 'PersonalAccessTokenIssued', data: recordOf(command.data) }];
};

/** Somebody else's token is reported as missing: revoking tells nothing about other users' tokens. */
const revoke = ({ data }: RevokePersonalAccessToken, state: PersonalAccessTokenState): PersonalAccessTokenEvent[] => {
  switch (state.status) {
    case 'empty':
      throw notFound(data.tokenId);
    case 'active':
      if (state.userId !== data.userId) throw notFound(data.tokenId);
      return [{ type: 'PersonalAccessTokenRevoked', data: { tokenId: data.tokenId, userId: data.userId } }];
    case 'revoked':
      if (state.userId !== data.userId) throw notFound(data.tokenId);
      return [];
  }
};

export const decide = (command: PersonalAccessTokenCommand, state: PersonalAccessTokenState): PersonalAccessTokenEvent[] => {
  switch (command.type) {
    case 'IssuePersonalAccessToken':
      return issue(command, state);
    case 'RevokePersonalAccessToken':
      return revoke(command, state);
    default:
      return assertNever(command);
  }
};

export const evolve = (state: PersonalAccessTokenState, event: PersonalAccessTokenEvent): PersonalAccessTokenState => {
  switch (event.type) {
    case 'PersonalAccessTokenIssued':
      return { status: 'active', ...recordOf(event.data) };
    case 'PersonalAccessTokenRevoked':
      return state.status === 'active' ? { ...state, status: 'revoked' } : state;
    default:
      return unknownEvent(event, state);
  }
};

export const patDecider: Decider<PersonalAccessTokenState, PersonalAccessTokenCommand, PersonalAccessTokenEvent> = { decide, evolve, initialState };
