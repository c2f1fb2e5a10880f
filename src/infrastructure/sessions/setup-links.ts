import { createHash, randomBytes } from 'node:crypto';
import { LessThanOrEqual } from 'typeorm';
import type { Database } from '../persistence/database';
import { SetupLinkRow } from './setup-link.entity';

export const SETUP_TOKEN_PREFIX = 'ghsu_';
/** How long a printed setup link opens /setup. */
export const SETUP_LINK_LIFETIME_MS = 60 * 60 * 1000;

const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * One-time links that let the first person create the owner when the store has no users.
 * Runtime state, not configuration (no events): only the token's hash is stored, a link lapses
 * after an hour, is deleted when used, and opens nothing once any user exists (the caller checks
 * that in the append that registers the owner).
 */
export class SetupLinks {
  constructor(
    private readonly database: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new link's token (shown once, to the operator) and its expiry; lapsed links are dropped. */
  async issue(): Promise<{ token: string; expiresAt: string }> {
    const token = `${SETUP_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = this.now();
    const expiresAt = new Date(now.getTime() + SETUP_LINK_LIFETIME_MS).toISOString();
    await this.database.write(async (manager) => {
      await manager.getRepository(SetupLinkRow).delete({ expiresAt: LessThanOrEqual(now.toISOString()) });
      await manager.getRepository(SetupLinkRow).insert({ tokenHash: hashToken(token), createdAt: now.toISOString(), expiresAt });
    });
    return { token, expiresAt };
  }

  /** Whether the token is a link that has not lapsed nor been used. */
  async isOpen(token: unknown): Promise<boolean> {
    if (typeof token !== 'string' || !token.startsWith(SETUP_TOKEN_PREFIX) || token.length > 128) return false;
    const row = await this.database.reads.getRepository(SetupLinkRow).findOneBy({ tokenHash: hashToken(token) });
    return row !== null && row.expiresAt > this.now().toISOString();
  }

  /** Drops the links that have lapsed; returns how many. */
  async removeExpired(): Promise<number> {
    const now = this.now().toISOString();
    return this.database.write(async (manager) => (await manager.getRepository(SetupLinkRow).delete({ expiresAt: LessThanOrEqual(now) })).affected ?? 0);
  }

  /** Every link is spent once an owner exists. */
  async closeAll(): Promise<void> {
    await this.database.write((manager) => manager.getRepository(SetupLinkRow).clear());
  }
}
