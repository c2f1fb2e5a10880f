export type PeriodicJobOptions<T> = Readonly<{
  /** One pass of the work. */
  run: () => Promise<T>;
  intervalMs: number;
  /** A pass that threw (the next one runs on time all the same). */
  onError?: (error: unknown) => void;
}>;

/**
 * Background housekeeping on a timer: a first pass at start (a gateway that was down for a week
 * starts clean), then one every `intervalMs`; never two passes at once; the timer keeps no
 * process alive; `stop` waits for a pass under way, so a shutdown does not close the database
 * under it.
 */
export class PeriodicJob<T> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<T> | null = null;

  constructor(private readonly options: PeriodicJobOptions<T>) {}

  start(): void {
    if (this.timer !== null) return;
    const pass = (): void => void this.runOnce().catch((error: unknown) => this.options.onError?.(error));
    this.timer = setInterval(pass, this.options.intervalMs);
    this.timer.unref();
    pass();
  }

  /** One pass now; a pass already under way is joined rather than run twice at once. */
  runOnce(): Promise<T> {
    this.running ??= this.options.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    // Waited for, not reported here: the pass's failure goes to whoever started it (onError for timed passes).
    await this.running?.catch(() => undefined);
  }
}
