import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Database } from '../persistence/database';

/**
 * What a Streamable HTTP session needs to go on after a restart or on another instance, beside
 * what its sealed id says: what the client said at initialize (immutable), and what the client
 * changes later (log level, subscriptions) and when it was last heard from (idle expiry).
 * Session state, not configuration: written with relaxed durability (a crash of the process
 * loses none of it, a power cut may lose the last moments).
 */
@Entity('mcp_sessions')
export class McpSessionRow {
  /** The nonce of the session id. */
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'profile_id' }) profileId: string;
  @Column('text', { name: 'key_id', nullable: true }) keyId: string | null;
  /** The initialize request's params (protocolVersion, capabilities, clientInfo), JSON. */
  @Column('text') initialize: string;
  @Column('text', { name: 'log_level', nullable: true }) logLevel: string | null;
  /** Resource URIs, JSON array. */
  @Column('text') subscriptions: string;
  /** ISO-8601: what the idle expiry counts from. */
  @Column('text', { name: 'last_active_at' }) lastActiveAt: string;
  @Column('text', { name: 'created_at' }) createdAt: string;
}

export const SESSION_ENTITIES = [McpSessionRow];

/** The params of the initialize request that opened a session, as the client sent them. */
export type InitializeParams = Readonly<{ protocolVersion: string; capabilities: Record<string, unknown>; clientInfo: Record<string, unknown> }>;

export type StoredSession = Readonly<{
  id: string;
  profileId: string;
  keyId: string | null;
  initialize: InitializeParams;
  logLevel: string | null;
  subscriptions: readonly string[];
  /** ms since the epoch. */
  lastActivity: number;
}>;

const iso = (ms: number): string => new Date(ms).toISOString();

const parsedOr = <T>(text: string, fallback: T): T => {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

const toStored = (row: McpSessionRow): StoredSession => ({
  id: row.id,
  profileId: row.profileId,
  keyId: row.keyId,
  initialize: parsedOr<InitializeParams>(row.initialize, { protocolVersion: '', capabilities: {}, clientInfo: {} }),
  logLevel: row.logLevel,
  subscriptions: parsedOr<string[]>(row.subscriptions, []),
  lastActivity: Date.parse(row.lastActiveAt),
});

const RELAXED = { durability: 'relaxed' } as const;

/** The `mcp_sessions` table: its only reader and writer. */
export class SessionStore {
  constructor(private readonly database: Database) {}

  async create(session: StoredSession): Promise<void> {
    const row: McpSessionRow = {
      id: session.id,
      profileId: session.profileId,
      keyId: session.keyId,
      initialize: JSON.stringify(session.initialize),
      logLevel: session.logLevel,
      subscriptions: JSON.stringify(session.subscriptions),
      lastActiveAt: iso(session.lastActivity),
      createdAt: iso(session.lastActivity),
    };
    await this.database.write((manager) => manager.createQueryBuilder().insert().into(McpSessionRow).values(row).updateEntity(false).execute(), RELAXED);
  }

  async byId(id: string): Promise<StoredSession | null> {
    const row = await this.database.reads.getRepository(McpSessionRow).findOneBy({ id });
    return row === null ? null : toStored(row);
  }

  async setLogLevel(id: string, level: string): Promise<void> {
    await this.update(id, { logLevel: level });
  }

  async setSubscriptions(id: string, uris: readonly string[]): Promise<void> {
    await this.update(id, { subscriptions: JSON.stringify(uris) });
  }

  /** Moves each session's last activity forward (never back: another instance may have heard from it later). */
  async recordActivity(entries: readonly Readonly<{ id: string; at: number }>[]): Promise<void> {
    if (entries.length === 0) return;
    await this.database.write(async (manager) => {
      for (const { id, at } of entries) {
        await manager
          .createQueryBuilder()
          .update(McpSessionRow)
          .set({ lastActiveAt: iso(at) })
          .where('id = :id AND last_active_at < :at', { id, at: iso(at) })
          .updateEntity(false)
          .execute();
      }
    }, RELAXED);
  }

  /**
   * Ends a session for good. `unlessActiveAfter`: only if nobody (another instance) has heard
   * from it after that moment (an idle expiry seen from one instance).
   */
  async end(id: string, unlessActiveAfter?: number): Promise<void> {
    await this.database.write(async (manager) => {
      const query = manager.createQueryBuilder().delete().from(McpSessionRow).where('id = :id', { id });
      if (unlessActiveAfter !== undefined) query.andWhere('last_active_at <= :at', { at: iso(unlessActiveAfter) });
      await query.execute();
    }, RELAXED);
  }

  /** Ends every session not heard from since `before` (those of stopped processes, or of no process at all). */
  async endIdle(before: number): Promise<void> {
    await this.database.write(
      (manager) => manager.createQueryBuilder().delete().from(McpSessionRow).where('last_active_at < :before', { before: iso(before) }).execute(),
      RELAXED,
    );
  }

  private async update(id: string, values: Partial<McpSessionRow>): Promise<void> {
    await this.database.write((manager) => manager.createQueryBuilder().update(McpSessionRow).set(values).where('id = :id', { id }).updateEntity(false).execute(), RELAXED);
  }
}
