import { randomBytes, randomUUID } from 'node:crypto';
import * as pat from '../../domain/pat';
import { DomainError } from '../../domain/shared';
import { UserReadModel } from '../readmodels/user';
import { canonicalInstant, hashApiKey } from './apikey.commands';
import { handleCommand, type CommandContext } from './handle-command';
import type { ManagedEventStore } from '../eventstore/typeorm-event-store';

/** Recognisable in a leaked-secret scan, and told apart from API keys (`gh_`) and the admin token (`gha_`). */
export const PAT_PREFIX = 'ghp_';
const DISPLAY_PREFIX_LENGTH = 10;

/** 256 random bits, like an API key: one SHA-256 is enough to store it (see hashApiKey). */
export const generatePersonalAccessToken = (): string => `${PAT_PREFIX}${randomBytes(32).toString('base64url')}`;
export const hashPersonalAccessToken = hashApiKey;

export type IssueTokenInput = Readonly<{ userId: string; name: string; expiresAt?: string | null }>;

/** The command handlers of the personal access token streams. */
export class PersonalAccessTokenCommands {
  constructor(private readonly store: ManagedEventStore) {}

  /** Issues a token for an existing user; the plaintext is in the result once and is never stored. */
  async issue(input: IssueTokenInput, context: CommandContext) {
    const token = generatePersonalAccessToken();
    const tokenId = randomUUID();
    const issuedAt = (context.now?.() ?? new Date()).toISOString();
    const result = await handleCommand(
      this.store,
      pat.patDecider,
      pat.patStreamId(tokenId),
      async (_state, tx): Promise<pat.PersonalAccessTokenCommand> => {
        if ((await new UserReadModel(tx.manager).byId(input.userId)) === null) throw new DomainError('USER_NOT_FOUND', `User ${input.userId} does not exist`, { userId: input.userId });
        return {
          type: 'IssuePersonalAccessToken',
          data: {
            tokenId, userId: input.userId, name: input.name, hash: hashPersonalAccessToken(token), prefix: token.slice(0, DISPLAY_PREFIX_LENGTH),
            expiresAt: input.expiresAt ? canonicalInstant(input.expiresAt) : null, issuedAt,
          },
        };
      },
      context,
    );
    return { tokenId, token, result };
  }

  /** Revokes one of `userId`'s tokens (another user's is "not found"). */
  revoke(userId: string, tokenId: string, context: CommandContext) {
    return handleCommand(this.store, pat.patDecider, pat.patStreamId(tokenId), { type: 'RevokePersonalAccessToken', data: { tokenId, userId } }, context);
  }
}
