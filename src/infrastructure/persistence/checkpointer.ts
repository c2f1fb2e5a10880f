import { Worker } from 'node:worker_threads';

/**
 * The checkpointing thread: a connection of its own to the database, which copies the
 * write-ahead log into the database file when asked (PASSIVE: it never waits for, nor blocks,
 * the writer) and answers with SQLite's counts. Plain JavaScript, evaluated: it must run the
 * same from the compiled build and from the test runner's TypeScript.
 */
const CHECKPOINT_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driver);
const db = new Sqlite(workerData.path, { fileMustExist: true, timeout: 5000 });
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: error.message });
  }
});
`;

type CheckpointAnswer = { ok: true; log: number; checkpointed: number } | { ok: false; message: string };

/** After this many commits the log is checkpointed (unless a checkpoint is still running). */
const DEFAULT_EVERY_COMMITS = 32;

/**
 * Checkpoints the write-ahead log off the event loop. SQLite checkpoints on its own in the
 * commit that takes the log past 1,000 pages: in our one thread, with the syncs of the log and
 * of the database file that a checkpoint makes, that commit took milliseconds to tens of
 * milliseconds during which nothing else ran. The writer turns that off (`wal_autocheckpoint =
 * 0`) and calls `committed()` after each commit; every so many commits a thread of this
 * process checkpoints through its own connection, in two steps:
 *
 * 1. the bulk, while the writer goes on committing;
 * 2. the tail, while the writer holds its next transaction back (`due`, `checkpointTail`):
 *    the frames committed during step 1, usually a few. With every frame copied and no commit
 *    in between, the writer's next transaction starts the log over from its beginning (SQLite
 *    restarts the log only then): without step 2 a steady stream of commits keeps the log
 *    growing without bound.
 *
 * The thread starts on the first checkpoint (short-lived processes never start it). If it
 * fails, `onFailure` gives checkpointing back to SQLite.
 */
export class Checkpointer {
  private worker: Worker | null = null;
  private answers: ((answer: CheckpointAnswer) => void)[] = [];
  private commits = 0;
  private running = false;
  private tailDue = false;
  private failed = false;
  private closed = false;
  /** What waits for the thread (a checkpoint, the close): while anything does, it keeps the process alive. */
  private waiting = 0;

  constructor(
    private readonly databasePath: string,
    private readonly onFailure: (error: Error) => void,
    private readonly everyCommits = DEFAULT_EVERY_COMMITS,
  ) {}

  /** Whether the writer should let the tail be checkpointed before its next transaction. */
  get due(): boolean {
    return this.tailDue && !this.failed && !this.closed;
  }

  committed(): void {
    this.commits += 1;
    if (this.commits < this.everyCommits || this.running || this.tailDue || this.failed || this.closed) return;
    this.commits = 0;
    void this.checkpoint().then((done) => (this.tailDue = done));
  }

  /** Step 2: settles once the tail is copied (never rejects: a failure hands checkpointing back to SQLite). */
  async checkpointTail(): Promise<void> {
    this.tailDue = false;
    await this.checkpoint();
  }

  /** Lets a running checkpoint finish, then closes the thread's connection. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (worker === null) return;
    // Held until it has exited: a process with nothing else to do would otherwise end here,
    // before its caller's next line.
    this.hold(worker);
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('close');
    });
  }

  /** Whether a checkpoint ran to its end. */
  private async checkpoint(): Promise<boolean> {
    this.running = true;
    try {
      const worker = (this.worker ??= this.start());
      // Held while it works: a process waiting for nothing else must wait for it.
      this.hold(worker);
      const answer = await new Promise<CheckpointAnswer>((resolve) => {
        this.answers.push(resolve);
        worker.postMessage('checkpoint');
      });
      this.release(worker);
      if (!answer.ok) this.fail(new Error(`checkpoint: ${answer.message}`));
      return answer.ok;
    } finally {
      this.running = false;
    }
  }

  private hold(worker: Worker): void {
    if (this.waiting++ === 0) worker.ref();
  }

  private release(worker: Worker): void {
    if (--this.waiting === 0) worker.unref();
  }

  private start(): Worker {
    const worker = new Worker(CHECKPOINT_THREAD, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), path: this.databasePath },
    });
    worker.on('message', (answer: CheckpointAnswer) => this.answers.shift()?.(answer));
    worker.on('error', (error: Error) => this.fail(error));
    worker.on('exit', (code) => {
      // Gone: a close must not wait for this exit again, and a later checkpoint (none after a failure) would start a new one.
      if (this.worker === worker) this.worker = null;
      if (!this.closed) this.fail(new Error(`the checkpoint thread exited (${code})`));
    });
    // Idle, it never keeps the process alive: SQLite checkpoints when the last connection closes.
    worker.unref();
    return worker;
  }

  private fail(error: Error): void {
    // Whoever waits for an answer gets one: the checkpoint did not happen.
    for (const answer of this.answers.splice(0)) answer({ ok: false, message: error.message });
    if (this.failed) return;
    this.failed = true;
    this.onFailure(error);
  }
}
