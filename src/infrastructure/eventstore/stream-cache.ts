import type { StoredEvent } from './types';

/** Most events held (a few MB: the streams of the hundreds of profiles and servers a gateway is busy with); the streams least recently used go first. */
const DEFAULT_MAX_EVENTS = 10_000;

/**
 * Streams as this process's committed transactions left them, so that a command on a stream
 * written or read a moment ago does not read it again (a round trip on PostgreSQL for every
 * command, and the rows to parse).
 *
 * It holds only what it knows to be current: every event committed with a position up to
 * `through` has been applied to the streams it holds. A write transaction tells it the log's
 * head when it starts (under the write lock, see `begin`): if that is not `through`, someone
 * else wrote meanwhile (another instance, or a write that did not go through this store), and
 * it is emptied and starts again from that head. Committed jobs are applied in commit order (see
 * `committed`); one whose events do not follow `through` empties it too. Within a transaction, a
 * stream appended to by an earlier job is read from the database (see TypeOrmEventStore).
 */
export class StreamCache {
  private readonly streams = new Map<string, readonly StoredEvent[]>();
  private size = 0;
  /** Nothing is known before the first transaction tells the head. */
  private through = -1;

  constructor(private readonly maxEvents = DEFAULT_MAX_EVENTS) {}

  /** A write transaction started with the log's head at `head`. */
  begin(head: number): void {
    if (head === this.through) return;
    this.clear();
    this.through = head;
  }

  /** The stream's events, when held; the caller must not change the array. */
  get(streamId: string): readonly StoredEvent[] | undefined {
    const events = this.streams.get(streamId);
    if (events !== undefined) {
      this.streams.delete(streamId);
      this.streams.set(streamId, events);
    }
    return events;
  }

  /**
   * A committed job: `appended`, its events in position order; `read`, the streams it read
   * whole, with their events as it left them (its own included). What a job read is current up to
   * its last event: the transaction held the write lock from its start, and the job appended
   * nothing else in between. A job that appended nothing changes nothing here.
   */
  committed(appended: readonly StoredEvent[], read: ReadonlyMap<string, readonly StoredEvent[]>): void {
    if (appended.length === 0) return;
    const first = appended[0].position;
    const last = appended[appended.length - 1].position;
    if (last <= this.through) return; // answered after a later transaction started: that one began afresh
    if (first !== this.through + 1) {
      this.clear();
    } else {
      for (const event of appended) if (!read.has(event.streamId)) this.delete(event.streamId);
    }
    for (const [streamId, events] of read) this.set(streamId, events);
    this.through = last;
  }

  private set(streamId: string, events: readonly StoredEvent[]): void {
    this.delete(streamId);
    if (events.length > this.maxEvents) return;
    this.streams.set(streamId, events);
    this.size += events.length;
    for (const [oldest, held] of this.streams) {
      if (this.size <= this.maxEvents) break;
      this.streams.delete(oldest);
      this.size -= held.length;
    }
  }

  private delete(streamId: string): void {
    const held = this.streams.get(streamId);
    if (held === undefined) return;
    this.streams.delete(streamId);
    this.size -= held.length;
  }

  private clear(): void {
    this.streams.clear();
    this.size = 0;
  }
}
