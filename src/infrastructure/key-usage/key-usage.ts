import { Column, Entity, In, PrimaryColumn, type EntityManager } from 'typeorm';
import type { Database } from '../persistence/database';

/**
 * When each API key was last used on an MCP endpoint. Runtime state, not configuration: no
 * event, not rebuilt from the log (migrate-store copies it), written with relaxed durability.
 */
@Entity('api_key_usage')
export class ApiKeyUsageRow {
  @PrimaryColumn('text', { name: 'key_id' }) keyId: string;
  /** ISO-8601. */
  @Column('text', { name: 'last_used_at' }) lastUsedAt: string;
}

export const KEY_USAGE_ENTITIES = [ApiKeyUsageRow];

const iso = (ms: number): string => new Date(ms).toISOString();

/** The reads of `api_key_usage`. */
export const lastUsedAt = async (manager: EntityManager, keyIds: readonly string[]): Promise<Map<string, string>> => {
  if (keyIds.length === 0) return new Map();
  const rows = await manager.getRepository(ApiKeyUsageRow).findBy({ keyId: In([...keyIds]) });
  return new Map(rows.map((row) => [row.keyId, row.lastUsedAt]));
};

/** Moves each key's last use forward (never back: another instance may have seen a later use). */
export const recordKeyUse = (database: Database, entries: readonly Readonly<{ keyId: string; at: number }>[]): Promise<void> =>
  database.write(
    async (manager) => {
      for (const { keyId, at } of entries) {
        await manager.createQueryBuilder().insert().into(ApiKeyUsageRow).values({ keyId, lastUsedAt: iso(at) }).orIgnore().updateEntity(false).execute();
        await manager
          .createQueryBuilder()
          .update(ApiKeyUsageRow)
          .set({ lastUsedAt: iso(at) })
          .where('key_id = :keyId AND last_used_at < :at', { keyId, at: iso(at) })
          .updateEntity(false)
          .execute();
      }
    },
    { durability: 'relaxed' },
  );

/** How often at most one key's use is written. */
export const KEY_USE_INTERVAL_MS = 60_000;
/** How long after a first use it is written (uses arriving meanwhile go in the same write). */
const FIRST_WRITE_DELAY_MS = 1_000;

export type KeyUseRecorderOptions = Readonly<{
  write: (entries: readonly Readonly<{ keyId: string; at: number }>[]) => Promise<void>;
  now?: () => number;
  intervalMs?: number;
  delayMs?: number;
  onError?: (error: unknown) => void;
}>;

/**
 * Keeps when each key was last used without a write per request: `used` (on the MCP request
 * path) only notes the time in memory; a timer, off the request path, writes the keys used since
 * their last write, each at most once per interval (the latest use it saw). `close` writes what
 * is left.
 */
export class KeyUseRecorder {
  /** Uses not written yet: key id → latest use (ms). */
  private readonly unwritten = new Map<string, number>();
  /** When each key's use was last written (ms); entries older than the interval are dropped. */
  private readonly written = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: KeyUseRecorderOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get interval(): number {
    return this.options.intervalMs ?? KEY_USE_INTERVAL_MS;
  }

  private dueOf(keyId: string, now: number): number {
    const last = this.written.get(keyId);
    return Math.max(now + (this.options.delayMs ?? FIRST_WRITE_DELAY_MS), last === undefined ? 0 : last + this.interval);
  }

  used(keyId: string): void {
    const now = this.now();
    this.unwritten.set(keyId, now);
    this.schedule(this.dueOf(keyId, now), now);
  }

  private schedule(due: number, now: number): void {
    if (due >= this.timerDue) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      void this.flush();
    }, Math.max(0, due - now));
    this.timer.unref();
  }

  /** Writes the uses that are due (`all`: every one), then schedules the next write. */
  flush(all = false): Promise<void> {
    this.flushing = this.flushing.then(() => this.write(all));
    return this.flushing;
  }

  private async write(all: boolean): Promise<void> {
    const now = this.now();
    for (const [keyId, at] of this.written) if (at + this.interval <= now) this.written.delete(keyId);
    const due = [...this.unwritten].filter(([keyId]) => all || !this.written.has(keyId)).map(([keyId, at]) => ({ keyId, at }));
    for (const { keyId } of due) {
      this.unwritten.delete(keyId);
      this.written.set(keyId, now);
    }
    if (due.length > 0) {
      try {
        await this.options.write(due);
      } catch (error) {
        // Tried again after the interval (written stays set), unless a later use came meanwhile.
        for (const { keyId, at } of due) if (!this.unwritten.has(keyId)) this.unwritten.set(keyId, at);
        this.options.onError?.(error);
      }
    }
    for (const keyId of this.unwritten.keys()) this.schedule(this.dueOf(keyId, now), now);
  }

  /** Writes every use not written yet and stops the timer. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timerDue = -Infinity;
    await this.flush(true);
  }
}
