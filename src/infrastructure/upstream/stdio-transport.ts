import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import {
  forgetGroupOnExit,
  isProcessGroupAlive,
  killGroupOnExit,
  signalProcessGroup,
  type ChildProcessRegistry,
} from './process-group';
import type { StderrTail } from './stderr-tail';
import { deliverInOrder } from '../transports/message-order';

export type StdioProcessOptions = Readonly<{
  serverId: string;
  command: string;
  args: readonly string[];
  /** The complete environment of the child (see child-env.ts); nothing is merged in here. */
  env: Readonly<Record<string, string>>;
  cwd: string | null;
  stderrTail: StderrTail;
  processes: ChildProcessRegistry;
  /** After stdin closes, how long the server gets to exit by itself before SIGTERM. */
  stdinGraceMs?: number;
  /** After SIGTERM, how long the group gets before SIGKILL. */
  terminateGraceMs?: number;
}>;

const POLL_INTERVAL_MS = 25;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * A stdio client transport that owns its server as a process group.
 *
 * The SDK's StdioClientTransport cannot be used: it spawns the child in the gateway's own
 * process group and signals only that child, so the real server behind a launcher
 * (`npx` → `node`) outlives it; it also always merges its own list of inherited variables
 * into the environment. This one spawns with `detached: true`, never through a shell, and
 * stops the whole group: close stdin, SIGTERM the group, SIGKILL what is left.
 */
export class ProcessGroupStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /**
   * Sees each message before `onmessage` and keeps it from the client when it returns true: the
   * late answer to the gateway's own `server/discover`, which no client asked (see stdio-discovery.ts).
   */
  intercept?: (message: JSONRPCMessage) => boolean;

  private child?: ChildProcessWithoutNullStreams;
  private leaderExited?: Promise<void>;
  private hasLeaderExited = false;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly readBuffer = new ReadBuffer();
  private teardown?: Promise<void>;
  private closeReported = false;
  /** Set by `open()`: the next `start()` (a client connecting) takes over the running process. */
  private adoptable = false;
  /** The revision initialize negotiated (the SDK client tells its transport). */
  protocolVersion?: string;

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  constructor(private readonly options: StdioProcessOptions) {}

  /** The server's process id (also its process group id) once started. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** How the server process ended ("exited with code 1"), or null while it runs. */
  get exitDescription(): string | null {
    if (!this.exit) return null;
    return this.exit.signal ? `was killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`;
  }

  /**
   * Spawns the server before any client is connected, so that the gateway can ask it which
   * revision it speaks on the very process that will serve it (see stdio-discovery.ts). The
   * client that connects next takes this process over instead of spawning another.
   */
  async open(): Promise<void> {
    await this.start();
    this.adoptable = true;
  }

  start(): Promise<void> {
    if (this.adoptable) {
      this.adoptable = false;
      // Ended between open() and the client's connect: its close was reported to nobody, so say it here.
      if (this.teardown) return Promise.reject(new McpError(ErrorCode.ConnectionClosed, `process ${this.exitDescription ?? 'was stopped'} before the client connected`));
      return Promise.resolve();
    }
    if (this.child) throw new Error('ProcessGroupStdioTransport already started');
    return this.spawn();
  }

  private spawn(): Promise<void> {
    const { command, args, env, cwd } = this.options;
    return new Promise((resolve, reject) => {
      const child = spawn(command, [...args], {
        env,
        cwd: cwd ?? undefined,
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group, so the whole tree can be signalled (there are no groups on Windows).
        detached: process.platform !== 'win32',
        shell: false,
        windowsHide: true,
      });
      this.child = child;
      this.leaderExited = new Promise((exited) => child.once('exit', () => exited()));
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        this.options.processes.add(this.options.serverId, child.pid!);
        killGroupOnExit(child.pid!);
        resolve();
      });
      child.once('error', (error) => {
        if (spawned) this.onerror?.(error);
        else {
          this.hasLeaderExited = true;
          this.reportClosed();
          reject(error);
        }
      });
      child.once('exit', (code, signal) => {
        this.hasLeaderExited = true;
        this.exit = { code, signal };
        // The server went away by itself: reap whatever it left in its group, then report. A
        // group that cannot be signalled fails the close: reported to onerror, not left unhandled.
        if (spawned) this.close().catch((error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))));
      });
      child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
      child.stderr.on('data', (chunk: Buffer) => this.options.stderrTail.append(chunk));
      // EPIPE when the server dies with a write pending; the exit is reported separately.
      child.stdin.on('error', (error) => this.onerror?.(error));
      child.stdout.on('error', (error) => this.onerror?.(error));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || this.teardown || !stdin.writable) return Promise.reject(new Error('Not connected'));
    return new Promise((resolve, reject) => {
      const flushed = stdin.write(serializeMessage(message), (error) => (error ? reject(error) : undefined));
      if (flushed) resolve();
      else stdin.once('drain', () => resolve());
    });
  }

  close(): Promise<void> {
    this.teardown ??= this.terminate();
    return this.teardown;
  }

  private receive(chunk: Buffer): void {
    try {
      this.readBuffer.append(chunk);
    } catch (error) {
      // One message larger than the buffer limit: the stream cannot be resynchronised.
      this.onerror?.(error as Error);
      this.close().catch((closing: unknown) => this.onerror?.(closing instanceof Error ? closing : new Error(String(closing))));
      return;
    }
    for (;;) {
      try {
        const message = this.readBuffer.readMessage();
        if (message === null) break;
        deliverInOrder(message, (delivered) => {
          if (this.intercept?.(delivered) !== true) this.onmessage?.(delivered);
        });
      } catch (error) {
        // A line that is not JSON-RPC (stray logging on stdout) is skipped, not fatal.
        this.onerror?.(error as Error);
      }
    }
  }

  private async terminate(): Promise<void> {
    const child = this.child;
    const pid = child?.pid;
    try {
      if (!child || pid === undefined) return;
      const { stdinGraceMs = 250, terminateGraceMs = 2000 } = this.options;
      if (!this.hasLeaderExited) {
        // The MCP stdio shutdown sequence starts by closing the server's input.
        child.stdin.end();
        await this.waitFor(() => this.hasLeaderExited && !isProcessGroupAlive(pid), stdinGraceMs);
      }
      if (!this.hasLeaderExited || isProcessGroupAlive(pid)) {
        signalProcessGroup(pid, 'SIGTERM');
        await this.waitFor(() => this.hasLeaderExited && !isProcessGroupAlive(pid), terminateGraceMs);
      }
      if (!this.hasLeaderExited || isProcessGroupAlive(pid)) {
        signalProcessGroup(pid, 'SIGKILL');
        await this.waitFor(() => this.hasLeaderExited && !isProcessGroupAlive(pid), terminateGraceMs);
      }
    } finally {
      if (pid !== undefined) {
        this.options.processes.remove(this.options.serverId, pid);
        forgetGroupOnExit(pid);
      }
      this.readBuffer.clear();
      this.reportClosed();
    }
  }

  /**
   * Waits until `done()` holds or `timeoutMs` passes. The leader's exit is an event, but
   * grandchildren are not our children and give no exit event, so their end is polled.
   */
  private async waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) {
      const remaining = deadline - Date.now();
      if (!this.hasLeaderExited) {
        await Promise.race([this.leaderExited, delay(Math.min(remaining, POLL_INTERVAL_MS * 4))]);
      } else {
        await delay(Math.min(remaining, POLL_INTERVAL_MS));
      }
    }
  }

  private reportClosed(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.onclose?.();
  }
}
