import type { Context, Next } from 'koa';
import { ProblemError } from '../rest/problem';

export type WriteGateLimits = Readonly<{
  /** Writes processed at once; the others wait with their bodies still unread. */
  maxActive: number;
  /** Writes waiting for their turn; the next one is refused at once with 503. */
  maxWaiting: number;
}>;

export const DEFAULT_WRITE_GATE_LIMITS: WriteGateLimits = { maxActive: 8, maxWaiting: 512 };

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The answer to a write that finds the queue full: nothing was done, and it may be tried again soon. */
export const busy = (detail: string): ProblemError => new ProblemError(503, 'BUSY', detail, undefined, { 'Retry-After': '1' });

/**
 * Admission control for the REST API's writes. The event loop runs everything, so a burst of
 * writes all in progress at once would make every turn of the loop long, and the health probe
 * and the MCP proxy would wait behind it. At most `maxActive` writes are processed at once (as
 * many as group commit needs to fill its batches); the others wait their turn in arrival order,
 * their bodies still unread, costing nothing; beyond `maxWaiting` a write is refused with 503 and
 * Retry-After at once, never left to wait without bound. Reads pass untouched.
 */
export class WriteGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limits: WriteGateLimits = DEFAULT_WRITE_GATE_LIMITS) {}

  readonly middleware = async (ctx: Context, next: Next): Promise<void> => {
    if (!WRITES.has(ctx.method)) return next();
    await this.enter();
    try {
      await next();
    } finally {
      this.leave();
    }
  };

  private enter(): Promise<void> {
    if (this.active < this.limits.maxActive) {
      this.active += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.maxWaiting) return Promise.reject(busy(`${this.waiting.length} writes are already waiting; retry shortly`));
    // The slot is handed over by `leave`, so `active` stays counted for the one that waited.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}
