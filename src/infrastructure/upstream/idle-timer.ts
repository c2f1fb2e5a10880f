/**
 * Fires `onIdle` once `timeoutMs` passes without being cleared. Unref'd: an idle connection
 * waiting to be reaped must not keep the process alive. A null timeout never fires.
 */
export class IdleTimer {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number | null | undefined,
    private readonly onIdle: () => void,
  ) {}

  /** Starts the countdown unless one is already running. */
  arm(): void {
    if (this.timeoutMs == null || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onIdle();
    }, this.timeoutMs);
    this.timer.unref();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
