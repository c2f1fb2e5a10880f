import { fstatSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Makes what SQLite committed to its write-ahead log durable, off the event loop.
 *
 * The writer commits with `synchronous = NORMAL`: in WAL mode a commit then writes its frames
 * to the log file without waiting for the disk (SQLite still syncs the log before every
 * checkpoint and the database after it). A commit is durable once the log file is on disk, so
 * an `fdatasync` of it, run on libuv's thread pool, makes every commit before it durable: the
 * same guarantee as `synchronous = FULL`, one sync for all the commits of a batch, and the
 * event loop serves requests meanwhile. After a power cut SQLite replays the log up to its last
 * complete commit; checksums tell it where that is.
 *
 * The log file is opened on the first sync (it exists once the database is in WAL mode and
 * written to) and again whenever it was replaced (SQLite deletes it when the last connection to
 * the database closes; one of ours is open while this is in use, but another process can be
 * the last one when ours are not). The first sync of a file also syncs its directory, which
 * makes the file's name durable.
 */
export class WalSync {
  private handle: FileHandle | null = null;
  /** The sync on the disk now, and the one that will follow it for the commits made meanwhile. */
  private running: Promise<void> | null = null;
  private following: Promise<void> | null = null;

  constructor(private readonly databasePath: string) {}

  /**
   * Settles once every commit made before the call is on disk. One sync runs at a time; the
   * calls made while it runs share the one after it (their commits may have missed it).
   */
  sync(): Promise<void> {
    if (this.running === null) return this.start();
    this.following ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.following = null;
        return this.start();
      });
    return this.following;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.following]);
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  private start(): Promise<void> {
    const run = this.current()
      .then((handle) => handle.datasync())
      .finally(() => {
        if (this.running === run) this.running = null;
      });
    this.running = run;
    return run;
  }

  private async current(): Promise<FileHandle> {
    if (this.handle !== null && fstatSync(this.handle.fd).nlink > 0) return this.handle;
    await this.close();
    const handle = await open(`${this.databasePath}-wal`, 'r');
    const directory = await open(dirname(this.databasePath), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    this.handle = handle;
    return handle;
  }
}
