/**
 * A counting semaphore for the connections (processes, for stdio) one server may have at once.
 * The bound is hard: a caller that finds no free slot waits in line, and gives up after a
 * timeout or when its signal aborts, rather than exceeding the cap.
 */
export type ReleaseSlot = () => void;

type Waiter = { grant: (release: ReleaseSlot) => void; fail: (reason: 'timeout' | 'aborted') => void };

export class SlotUnavailableError extends Error {
  override readonly name = 'SlotUnavailableError';
  constructor(readonly reason: 'timeout' | 'aborted') {
    super(reason === 'timeout' ? 'no free connection slot in time' : 'waiting for a connection slot was aborted');
  }
}

export class ConnectionSlots {
  private inUse = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get used(): number {
    return this.inUse;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(timeoutMs: number, signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(new SlotUnavailableError('aborted'));
    if (this.inUse < this.capacity) {
      this.inUse++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => waiter.fail('aborted');
      const timer = setTimeout(() => waiter.fail('timeout'), timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
      };
      const waiter: Waiter = {
        grant: (release) => {
          settle();
          resolve(release);
        },
        fail: (reason) => {
          settle();
          reject(new SlotUnavailableError(reason));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Each release function works once, so a double release cannot inflate the capacity. */
  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters[0];
      // The slot passes straight to the next waiter, so `inUse` never dips and a newcomer
      // cannot jump the queue.
      if (next) next.grant(this.releaser());
      else this.inUse--;
    };
  }
}
