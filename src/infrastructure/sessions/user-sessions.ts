import { createHash, createHmac, randomBytes } from 'node:crypto';
import { LessThanOrEqual } from 'typeorm';
import type { Database } from '../persistence/database';
import { UserReadModel, type UserRow } from '../readmodels/user';
import { UserSessionRow } from './user-session.entity';

export const SESSION_TOKEN_PREFIX = 'ghs_';
/** A session lasts this long after sign-in, and lapses sooner when unused for IDLE_MS. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
/** `last_seen_at` is written at most this often: a read per request, a write per minute. */
const TOUCH_EVERY_MS = 60_000;

const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * The CSRF token of a session: an HMAC of the session token, so it needs no storage, is the same
 * for the whole session, and cannot be computed by a page that cannot read the (HttpOnly) cookie.
 */
export const csrfTokenFor = (sessionToken: string): string => createHmac('sha256', sessionToken).update('gatehouse-csrf').digest('base64url');

/** A signed-in person as a session resolves: only enabled users. */
export type SessionUser = Readonly<{ user: UserRow; csrfToken: string }>;

/**
 * Server-side browser sessions. The table is runtime state, not configuration: sessions are not
 * events and are not replayed. Every lookup reads the user's current row, so a disabled user (or
 * one whose role changed) is seen as such on the next request.
 */
export class UserSessions {
  constructor(
    private readonly database: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Opens a session for an (already authenticated) user; the token goes into the cookie and nowhere else. */
  async open(userId: string): Promise<{ token: string; csrfToken: string; expiresAt: string }> {
    const token = `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = this.now();
    const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS).toISOString();
    await this.database.write(async (manager) => {
      await manager.getRepository(UserSessionRow).delete({ expiresAt: LessThanOrEqual(now.toISOString()) });
      await manager.getRepository(UserSessionRow).insert({ tokenHash: hashToken(token), userId, createdAt: now.toISOString(), lastSeenAt: now.toISOString(), expiresAt });
    });
    return { token, csrfToken: csrfTokenFor(token), expiresAt };
  }

  /** The enabled user behind a session token, or null (unknown, expired, idle too long, user disabled or gone). */
  async resolve(token: string): Promise<SessionUser | null> {
    if (!token.startsWith(SESSION_TOKEN_PREFIX) || token.length > 128) return null;
    const reads = this.database.reads;
    const session = await reads.getRepository(UserSessionRow).findOneBy({ tokenHash: hashToken(token) });
    if (session === null) return null;
    const now = this.now();
    if (session.expiresAt <= now.toISOString() || Date.parse(session.lastSeenAt) + SESSION_IDLE_MS <= now.getTime()) return null;
    const user = await new UserReadModel(reads).byId(session.userId);
    if (user === null || user.status !== 'enabled') return null;
    if (now.getTime() - Date.parse(session.lastSeenAt) >= TOUCH_EVERY_MS) {
      await this.database.write((manager) => manager.getRepository(UserSessionRow).update({ tokenHash: session.tokenHash }, { lastSeenAt: now.toISOString() }), { durability: 'relaxed' });
    }
    return { user, csrfToken: csrfTokenFor(token) };
  }

  /** Drops the sessions `resolve` no longer accepts (past their lifetime or idle too long); returns how many. */
  async removeExpired(): Promise<number> {
    const now = this.now();
    const idleSince = new Date(now.getTime() - SESSION_IDLE_MS).toISOString();
    return this.database.write(async (manager) => {
      const result = await manager.createQueryBuilder().delete().from(UserSessionRow)
        .where('expires_at <= :now OR last_seen_at <= :idleSince', { now: now.toISOString(), idleSince })
        .execute();
      return result.affected ?? 0;
    });
  }

  /** Ends one session (sign-out); unknown tokens are ignored. */
  async close(token: string): Promise<void> {
    await this.database.write((manager) => manager.getRepository(UserSessionRow).delete({ tokenHash: hashToken(token) }));
  }

  /** Ends every session of a user but the one given (a password change signs out the other browsers). */
  async closeAllOf(userId: string, except?: string): Promise<number> {
    const keep = except === undefined ? null : hashToken(except);
    return this.database.write(async (manager) => {
      const rows = await manager.getRepository(UserSessionRow).findBy({ userId });
      const doomed = rows.filter((row) => row.tokenHash !== keep).map((row) => row.tokenHash);
      for (const tokenHash of doomed) await manager.getRepository(UserSessionRow).delete({ tokenHash });
      return doomed.length;
    });
  }
}
