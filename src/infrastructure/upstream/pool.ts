import { ConnectionSlots } from './connection-slots';
import { UpstreamError } from './errors';
import { ChildProcessRegistry } from './process-group';
import { UpstreamSupervisor } from './supervisor';
import type { UpstreamSupervisorOptions } from './supervisor-options';
import type { UpstreamHealth, UpstreamSpec } from './types';

/**
 * `shared`: one connection per server serves every downstream session (the default; one
 * process per stdio server). `per_session`: each downstream session gets its own connection,
 * for upstreams that keep per-client state or call back (sampling, elicitation, roots) and
 * must reach the right client; the number per server is capped.
 */
export type UpstreamIsolation = 'shared' | 'per_session';

export type UpstreamPoolOptions = Readonly<{
  /** Settings for every connection (timeouts, backoff, client capabilities…). */
  connection?: Omit<UpstreamSupervisorOptions, 'slots' | 'processes' | 'idleTimeoutMs'>;
  isolation?: UpstreamIsolation;
  /** per_session: the most connections one server may have at once (a hard bound). Default 8. */
  maxConnectionsPerServer?: number;
  /** per_session: a session's connection is closed after this long unused. Default 5 min. */
  sessionIdleTimeoutMs?: number;
  /** The shared connection's idle timeout; null (default) keeps it open. */
  sharedIdleTimeoutMs?: number | null;
}>;

type ServerEntry = {
  spec: UpstreamSpec;
  shared?: UpstreamSupervisor;
  sessions: Map<string, UpstreamSupervisor>;
  slots?: ConnectionSlots;
};

/**
 * All upstream connections of the gateway, by server id. The proxy asks it for a connection
 * per (server, downstream session); configuration subscribers call `reconfigure`/`release`.
 */
export class UpstreamPool {
  /** Every stdio process the pool's connections started, by server id. */
  readonly processes = new ChildProcessRegistry();
  private readonly servers = new Map<string, ServerEntry>();
  private readonly isolation: UpstreamIsolation;
  private closing?: Promise<void>;

  constructor(private readonly options: UpstreamPoolOptions = {}) {
    this.isolation = options.isolation ?? 'shared';
  }

  /**
   * The connection to use for `spec` on behalf of downstream session `sessionId`. Without a
   * session id, or in shared mode, it is the server's shared connection. A spec that differs
   * from the one last seen is applied (see `reconfigure`).
   */
  /** Whether `spec` gets a connection of its own per downstream session. */
  isPerSession(spec: UpstreamSpec): boolean {
    return (spec.isolation ?? this.isolation) === 'per_session';
  }

  get(spec: UpstreamSpec, sessionId?: string): UpstreamSupervisor {
    if (this.closing) throw new UpstreamError('UPSTREAM_CLOSED', spec, 'the upstream pool is closed');
    const entry = this.entryFor(spec);
    if (this.isPerSession(spec) && sessionId !== undefined) {
      let supervisor = entry.sessions.get(sessionId);
      if (!supervisor) {
        supervisor = this.createSupervisor(entry, this.options.sessionIdleTimeoutMs ?? 5 * 60_000);
        entry.sessions.set(sessionId, supervisor);
      }
      return supervisor;
    }
    entry.shared ??= this.createSupervisor(entry, this.options.sharedIdleTimeoutMs ?? null);
    return entry.shared;
  }

  /** Applies a changed configuration to every connection of that server. */
  async reconfigure(spec: UpstreamSpec): Promise<void> {
    const entry = this.servers.get(spec.id);
    if (!entry) return; // Nothing connected yet: the next get() uses the new spec.
    entry.spec = spec;
    await Promise.all(supervisorsOf(entry).map((supervisor) => supervisor.reconfigure(spec)));
  }

  /** Closes every connection to that server (e.g. it was removed or detached everywhere). */
  async release(serverId: string): Promise<void> {
    const entry = this.servers.get(serverId);
    if (!entry) return;
    this.servers.delete(serverId);
    await closeEach(supervisorsOf(entry));
  }

  /** Closes the connections dedicated to one downstream session, when that session ends. */
  async releaseSession(sessionId: string): Promise<void> {
    const supervisors: UpstreamSupervisor[] = [];
    for (const entry of this.servers.values()) {
      const supervisor = entry.sessions.get(sessionId);
      if (!supervisor) continue;
      entry.sessions.delete(sessionId);
      supervisors.push(supervisor);
    }
    await closeEach(supervisors);
  }

  closeAll(): Promise<void> {
    this.closing ??= (async () => {
      const supervisors = [...this.servers.values()].flatMap(supervisorsOf);
      this.servers.clear();
      await closeEach(supervisors);
    })();
    return this.closing;
  }

  /** Health of every connection to that server, the shared one first. */
  /** The specs of the servers the pool holds connections for. */
  specs(): UpstreamSpec[] {
    return [...this.servers.values()].map((entry) => entry.spec);
  }

  health(serverId: string): UpstreamHealth[] {
    const entry = this.servers.get(serverId);
    return entry ? supervisorsOf(entry).map((supervisor) => supervisor.health()) : [];
  }

  /** stdio processes of that server still alive (their whole process group counted as one). */
  liveProcessCount(serverId: string): number {
    return this.processes.count(serverId);
  }

  livePids(serverId: string): number[] {
    return this.processes.pids(serverId);
  }

  private entryFor(spec: UpstreamSpec): ServerEntry {
    const existing = this.servers.get(spec.id);
    if (existing) {
      if (existing.spec !== spec) {
        existing.spec = spec;
        for (const supervisor of supervisorsOf(existing)) {
          // reconfigure only rejects on an id mismatch, which entryFor rules out.
          void supervisor.reconfigure(spec).catch(() => undefined);
        }
      }
      return existing;
    }
    const entry: ServerEntry = {
      spec,
      sessions: new Map(),
      // The cap matters for per-session isolation (a server may switch to it on reconfigure);
      // a shared connection takes one slot.
      slots: new ConnectionSlots(this.options.maxConnectionsPerServer ?? 8),
    };
    this.servers.set(spec.id, entry);
    return entry;
  }

  private createSupervisor(entry: ServerEntry, idleTimeoutMs: number | null): UpstreamSupervisor {
    return new UpstreamSupervisor(entry.spec, {
      ...this.options.connection,
      slots: entry.slots,
      processes: this.processes,
      idleTimeoutMs,
    });
  }
}

const supervisorsOf = (entry: ServerEntry): UpstreamSupervisor[] => [
  ...(entry.shared ? [entry.shared] : []),
  ...entry.sessions.values(),
];

/** Closes all, even if some fail; the first failure is rethrown once all are done. */
const closeEach = async (supervisors: UpstreamSupervisor[]): Promise<void> => {
  const results = await Promise.allSettled(supervisors.map((supervisor) => supervisor.close()));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
};
