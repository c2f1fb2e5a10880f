import { Subject, type Observable, type Subscription } from 'rxjs';
import type { EventStore, StoredEvent } from './types';

export type LogFollowerOptions = Readonly<{
  /** How often the log is read for events committed by other processes. */
  intervalMs?: number;
  /** Events read per poll; a longer backlog is read on the following polls. */
  batchSize?: number;
  /** Told when a poll fails (the next one tries again). */
  onError?: (error: unknown) => void;
}>;

/**
 * Every committed event, once, in commit order per source: this process's own as they commit
 * (synchronously, so caches are fresh before the writer's response goes out), and those of
 * other processes on the same database (`gatehouse keys revoke` next to `gatehouse serve`)
 * when the log is next read. Caches and live effects follow this, not `committed$` alone.
 */
export class LogFollower {
  private readonly events = new Subject<StoredEvent>();
  readonly events$: Observable<StoredEvent> = this.events.asObservable();
  /** Positions published from this process that the poll has not reached yet. */
  private readonly local = new Set<number>();
  private cursor = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private rereadQueued = false;
  private subscription: Subscription | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly options: LogFollowerOptions = {},
  ) {}

  /** Starts from the log's head: what is committed from now on. */
  async start(): Promise<void> {
    if (this.subscription !== null) return;
    this.subscription = this.store.committed$.subscribe((event) => {
      // A poll may read a commit of this process before the commit is published: the poll
      // has emitted it then, and it is not emitted again.
      if (event.position <= this.cursor) return;
      this.local.add(event.position);
      this.events.next(event);
    });
    this.cursor = await this.store.headPosition();
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs ?? 250);
    this.timer.unref();
  }

  /** Reads what other processes committed since the last poll (a poll under way is joined). */
  poll(): Promise<void> {
    this.polling ??= this.readNew().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  /**
   * Another process committed (a database notification): read the log now. A poll under way may
   * have read before that commit, so another one follows it.
   */
  wake(): void {
    if (this.subscription === null) return;
    if (this.polling === null) {
      void this.poll();
      return;
    }
    if (this.rereadQueued) return;
    this.rereadQueued = true;
    void this.polling.then(() => {
      this.rereadQueued = false;
      if (this.subscription !== null) void this.poll();
    });
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.subscription?.unsubscribe();
    this.subscription = null;
    await this.polling;
    this.events.complete();
  }

  private async readNew(): Promise<void> {
    try {
      const batch = await this.store.readAll({ after: this.cursor, limit: this.options.batchSize ?? 1_000 });
      for (const event of batch) {
        this.cursor = event.position;
        if (!this.local.delete(event.position)) this.events.next(event);
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
