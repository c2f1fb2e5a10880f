import { randomUUID } from 'node:crypto';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { SecretBox } from '../crypto';
import type { Database } from '../persistence/database';

/**
 * A message from one Gatehouse instance to another on the same PostgreSQL database that is too
 * long for a notification's payload: kept until its recipient takes it, or swept once expired.
 */
@Entity('mcp_instance_messages')
export class InstanceMessageRow {
  @PrimaryColumn('text') id: string;
  /** The instance it is for (InstanceMailbox.instanceId). */
  @Column('text') recipient: string;
  /** The message, sealed: it may carry what a user typed into an elicitation form. */
  @Column('text') body: string;
  /** ISO-8601. */
  @Column('text', { name: 'expires_at' }) expiresAt: string;
}

export const MAILBOX_ENTITIES = [InstanceMessageRow];

/** One channel for all instances: each keeps what is addressed to it. */
const CHANNEL = 'gatehouse_instance_messages';
const PURPOSE = 'gatehouse instance message';
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more: a longer message goes in a row. */
const INLINE_LIMIT = 7_000;
const RELAXED = { durability: 'relaxed' } as const;

export type InstanceMessage = Readonly<Record<string, unknown>>;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Messages between the instances of one PostgreSQL deployment, the way the log's followers are
 * woken (LISTEN/NOTIFY on a connection of its own): each process has a random id for its
 * lifetime and listens on one channel. A message is sealed under the store's data key and goes
 * in the notification itself when it is short, else in a row of `mcp_instance_messages` that
 * the recipient takes (reads and deletes). Delivery is at most once, and only to an instance that
 * is listening: whoever waits for an answer bounds the wait. On SQLite (one instance) there is
 * no mailbox.
 */
export class InstanceMailbox {
  readonly instanceId = randomUUID();
  private handler: (message: InstanceMessage) => void = () => undefined;

  private constructor(
    private readonly database: Database,
    private readonly secrets: SecretBox,
    private readonly onError: (error: unknown) => void,
    private stopListening: () => Promise<void> = async () => undefined,
  ) {}

  /** Listens for this instance's messages; null when the database cannot carry them (SQLite). */
  static async open(database: Database, secrets: SecretBox, onError: (error: unknown) => void): Promise<InstanceMailbox | null> {
    const mailbox = new InstanceMailbox(database, secrets, onError);
    const stop = await database.onMessages(CHANNEL, (payload) => mailbox.receive(payload).catch(onError), onError);
    if (stop === null) return null;
    mailbox.stopListening = stop;
    return mailbox;
  }

  /** Where this instance's messages go (one reader). */
  onMessage(handler: (message: InstanceMessage) => void): void {
    this.handler = handler;
  }

  /** Sends `message` to instance `to`; a row that carries it is kept `ttlMs` at most. */
  async send(to: string, message: InstanceMessage, ttlMs: number): Promise<void> {
    const body = this.secrets.sealToken(JSON.stringify(message), PURPOSE);
    if (body.length <= INLINE_LIMIT) {
      await this.database.notify(CHANNEL, JSON.stringify({ to, body }));
      return;
    }
    const row: InstanceMessageRow = { id: randomUUID(), recipient: to, body, expiresAt: iso(Date.now() + ttlMs) };
    await this.database.write((manager) => manager.createQueryBuilder().insert().into(InstanceMessageRow).values(row).updateEntity(false).execute(), RELAXED);
    await this.database.notify(CHANNEL, JSON.stringify({ to, row: row.id }));
  }

  /** Deletes the rows whose recipient never took them (it stopped first); the number deleted. */
  async removeExpired(now = Date.now()): Promise<number> {
    const deleted = await this.database.write(
      (manager) => manager.createQueryBuilder().delete().from(InstanceMessageRow).where('expires_at < :now', { now: iso(now) }).execute(),
      RELAXED,
    );
    return deleted.affected ?? 0;
  }

  async close(): Promise<void> {
    await this.stopListening();
  }

  private async receive(payload: string): Promise<void> {
    let envelope: { to?: unknown; body?: unknown; row?: unknown };
    try {
      envelope = JSON.parse(payload) as typeof envelope;
    } catch {
      // Someone else NOTIFYing on the channel: not ours, but worth knowing about.
      this.onError(new Error('a notification on the instances\' channel was not JSON'));
      return;
    }
    if (envelope.to !== this.instanceId) return;
    const body = typeof envelope.body === 'string' ? envelope.body : typeof envelope.row === 'string' ? await this.take(envelope.row) : null;
    const plaintext = body === null ? null : this.secrets.openToken(body, PURPOSE);
    if (plaintext === null) {
      this.onError(new Error('an instance message did not open (not sealed by this deployment, or already taken)'));
      return;
    }
    this.handler(JSON.parse(plaintext) as InstanceMessage);
  }

  private take(id: string): Promise<string | null> {
    return this.database.write(async (manager) => {
      const row = await manager.getRepository(InstanceMessageRow).findOneBy({ id, recipient: this.instanceId });
      if (row === null) return null;
      await manager.createQueryBuilder().delete().from(InstanceMessageRow).where('id = :id', { id }).execute();
      return row.body;
    }, RELAXED);
  }
}
