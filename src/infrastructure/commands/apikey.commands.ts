import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as apikey from '../../domain/apikey';
import { DomainError } from '../../domain/shared';
import { ProfileReadModel } from '../readmodels/profile';
import { handleCommand, type CommandContext } from './handle-command';
import type { ManagedEventStore } from '../eventstore/typeorm-event-store';

export const API_KEY_PREFIX = 'gh_';
const DISPLAY_PREFIX_LENGTH = 10;

/** 256 bits of randomness behind a recognisable prefix. */
export const generateApiKey = (): string => `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;

/** Keys carry 256 random bits, so one SHA-256 is enough: no key-stretching needed, lookups stay O(1). */
export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/**
 * Canonical UTC for the instants the decider accepts. Anything else goes to the decider as sent,
 * so that it is refused: `new Date()` would read a time without offset in this machine's zone,
 * and throws on ISO forms it cannot parse (week dates), which was a 500.
 */
export const canonicalInstant = (value: string): string => {
  const time = apikey.parseInstant(value);
  return Number.isNaN(time) ? value : new Date(time).toISOString();
};

export type IssueKeyInput = Readonly<{ name: string; profiles: readonly string[]; expiresAt?: string | null; ownerId?: string | null }>;

/** Resolves slugs to profile ids (keys survive a slug rename); `*` stays `*`. */
const resolveScope = async (profiles: ProfileReadModel, slugs: readonly string[]): Promise<string[]> => {
  if (slugs.includes(apikey.ALL_PROFILES)) return [...slugs];
  const ids: string[] = [];
  const unknown: string[] = [];
  for (const slug of slugs) {
    const row = await profiles.findBySlug(slug);
    if (row) ids.push(row.id);
    else unknown.push(slug);
  }
  if (unknown.length > 0) {
    throw new DomainError('PROFILE_NOT_FOUND', `No profile with slug ${unknown.map((s) => `"${s}"`).join(', ')}`, { field: 'profiles' });
  }
  return ids;
};

/** The command handlers of the API key streams. */
export class ApiKeyCommands {
  constructor(private readonly store: ManagedEventStore) {}

  /** Issues a key; the plaintext is in the result once and is never stored. */
  async issue(input: IssueKeyInput, context: CommandContext) {
    const key = generateApiKey();
    const keyId = randomUUID();
    const issuedAt = (context.now?.() ?? new Date()).toISOString();
    const expiresAt = input.expiresAt ? canonicalInstant(input.expiresAt) : null;
    const result = await handleCommand(
      this.store,
      apikey.apiKeyDecider,
      apikey.apiKeyStreamId(keyId),
      async (_state, tx): Promise<apikey.ApiKeyCommand> => ({
        type: 'IssueApiKey',
        data: {
          keyId, name: input.name, hash: hashApiKey(key), prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
          profiles: await resolveScope(new ProfileReadModel(tx.manager), input.profiles), expiresAt, issuedAt,
          ...(input.ownerId ? { ownerId: input.ownerId } : {}),
        },
      }),
      context,
    );
    return { keyId, key, result };
  }

  revoke(keyId: string, context: CommandContext) {
    return handleCommand(this.store, apikey.apiKeyDecider, apikey.apiKeyStreamId(keyId), { type: 'RevokeApiKey', data: { keyId } }, context);
  }
}
