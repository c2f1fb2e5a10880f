import { type Decider, DomainError, assertNever, unknownEvent } from '../shared';
import type { ApiKeyCommand, IssueApiKey, RevokeApiKey } from './commands';
import type { ApiKeyEvent, ApiKeyIssued } from './events';
import { assertValidIssue } from './validate';

type ApiKeyRecord = ApiKeyIssued['data'];

export type EmptyApiKey = Readonly<{ status: 'empty' }>;
export type ActiveApiKey = Readonly<ApiKeyRecord & { status: 'active' }>;
export type RevokedApiKey = Readonly<ApiKeyRecord & { status: 'revoked' }>;
export type ApiKeyState = EmptyApiKey | ActiveApiKey | RevokedApiKey;

export const initialState = (): ApiKeyState => ({ status: 'empty' });

const recordOf = (source: ApiKeyRecord): ApiKeyRecord => ({
  keyId: source.keyId,
  name: source.name,
  hash: source.hash,
  prefix: source.prefix,
  profiles: source.profiles,
  expiresAt: source.expiresAt,
  ...(source.ownerId ? { ownerId: source.ownerId } : {}),
});

/** Key ids are generated per issue, so an existing id is a conflict, never a retry. */
const issueApiKey = (command: IssueApiKey, state: ApiKeyState): ApiKeyEvent[] => {
  assertValidIssue(command);
  const { data } = command;
  if (state.status !== 'empty') {
    throw new DomainError('APIKEY_ALREADY_EXISTS', `API key ${data.keyId} already exists`, { keyId: data.keyId });
  }
  return [{ type: 'ApiKeyIssued', data: recordOf(data) }];
};

const revokeApiKey = ({ data }: RevokeApiKey, state: ApiKeyState): ApiKeyEvent[] => {
  switch (state.status) {
    case 'empty':
      throw new DomainError('APIKEY_NOT_FOUND', `API key ${data.keyId} does not exist`, { keyId: data.keyId });
    case 'active':
      return [{ type: 'ApiKeyRevoked', data: { keyId: data.keyId } }];
    case 'revoked':
      return [];
  }
};

export const decide = (command: ApiKeyCommand, state: ApiKeyState): ApiKeyEvent[] => {
  switch (command.type) {
    case 'IssueApiKey':
      return issueApiKey(command, state);
    case 'RevokeApiKey':
      return revokeApiKey(command, state);
    default:
      return assertNever(command);
  }
};

export const evolve = (state: ApiKeyState, event: ApiKeyEvent): ApiKeyState => {
  switch (event.type) {
    case 'ApiKeyIssued':
      return { status: 'active', ...recordOf(event.data) };
    case 'ApiKeyRevoked':
      return state.status === 'active' ? { ...state, status: 'revoked' } : state;
    default:
      return unknownEvent(event, state);
  }
};

export const apiKeyDecider: Decider<ApiKeyState, ApiKeyCommand, ApiKeyEvent> = { decide, evolve, initialState };
