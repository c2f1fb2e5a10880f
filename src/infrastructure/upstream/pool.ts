import { ConnectionSlots } from './connection-slots';
import { UpstreamError } from './errors';
import { ChildProcessRegistry } from './process-group';
import { DiscoveryMemory } from './discovery-memory';
import { UpstreamSupervisor } from './supervisor';
import type { UpstreamSupervisorOptions } from './supervisor-options';
import type { UpstreamHealth, UpstreamLog, UpstreamSpec } from './types';
import { errorMessage } from '../../domain/shared';

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
  /**
   * Where a failure nobody awaits goes (the gateway's log): a reconfigure started on the way to a
   * connection, whose caller wants the connection, not the outcome. Without it, such failures are dropped.
   */
  log?: UpstreamLog;
}>;

/** A connection of one user's own (a per-user server), with that user's spec. */
type UserConnection = Readonly<{ userId: string; sessionId: string | null; supervisor: UpstreamSupervisor }>;

type ServerEntry = {
  spec: UpstreamSpec;
  shared?: UpstreamSupervisor;
  sessions: Map<string, UpstreamSupervisor>;
  /**
   * Per-user servers: by user id (or user id and session id under per-session isolation). Each
   * was made with its user's own spec and is reconfigured only with that user's: a server's
   * spec never reaches them, so one user's credentials never reach another's connection.
   */
  users: Map<string, UserConnection>;
  slots?: ConnectionSlots;
  /** What the server's stdio processes did when asked `server/discover`, for all its connections. */
  discovery: DiscoveryMemory;
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

  /**
   * A per-user spec (`credentials: per_user`, carrying `userId`'s own credentials) gets a
   * connection of that user's, never shared with another user; without a user id it is refused.
   */
  get(spec: UpstreamSpec, sessionId?: string, userId?: string | null): UpstreamSupervisor {
    if (this.closing) throw new UpstreamError('UPSTREAM_CLOSED', spec, 'the upstream pool is closed');
    if (spec.credentials === 'per_user') return this.userConnection(spec, sessionId, userId);
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

  /**
   * Applies a changed configuration to every shared or per-session connection of that server.
   * Per-user connections are reconfigured by their user's next request (which brings that
   * user's spec); a switch between shared and per-user credentials closes the connections of
   * the other kind, which hold the credentials no longer meant to be used.
   */
  async reconfigure(spec: UpstreamSpec): Promise<void> {
    const entry = this.servers.get(spec.id);
    if (!entry) return; // Nothing connected yet: the next get() uses the new spec.
    entry.spec = spec;
    if (spec.credentials === 'per_user') {
      const stale = sharedOf(entry);
      entry.shared = undefined;
      entry.sessions.clear();
      await closeEach(stale);
      return;
    }
    const stale = [...entry.users.values()].map((connection) => connection.supervisor);
    entry.users.clear();
    await Promise.all([closeEach(stale), ...sharedOf(entry).map((supervisor) => supervisor.reconfigure(spec))]);
  }

  /**
   * Closes a user's own connections, at once (the next get() makes new ones). Of one server: their
   * credentials for it changed or went, and a request still waiting for a closed one to connect,
   * never sent, fails as resendable, to be sent on the new connection (with the new credentials,
   * or told there are none). Of all: the user was disabled, and such requests simply fail.
   */
  async releaseUser(userId: string, serverId?: string): Promise<void> {
    const supervisors: UpstreamSupervisor[] = [];
    for (const [id, entry] of this.servers) {
      if (serverId !== undefined && id !== serverId) continue;
      for (const [key, connection] of entry.users) {
        if (connection.userId !== userId) continue;
        entry.users.delete(key);
        supervisors.push(connection.supervisor);
      }
    }
    await closeEach(supervisors, { replaced: serverId !== undefined });
  }

  /**
   * The server's own connections (not users') that wait out a backoff try again now: it has new
   * credentials (OAuth tokens granted), so the refusals that built the backoff up say nothing of
   * the next attempt. Live and connecting ones are left as they are.
   */
  retryNow(serverId: string): void {
    const entry = this.servers.get(serverId);
    if (entry) for (const supervisor of sharedOf(entry)) supervisor.retryNow();
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
      for (const [key, connection] of entry.users) {
        if (connection.sessionId !== sessionId) continue;
        entry.users.delete(key);
        supervisors.push(connection.supervisor);
      }
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
        for (const supervisor of sharedOf(existing)) this.reconfigureInBackground(supervisor, spec);
      }
      return existing;
    }
    const entry: ServerEntry = {
      spec,
      sessions: new Map(),
      users: new Map(),
      // The cap matters for per-session isolation (a server may switch to it on reconfigure);
      // a shared connection takes one slot.
      slots: new ConnectionSlots(this.options.maxConnectionsPerServer ?? 8),
      discovery: new DiscoveryMemory(),
    };
    this.servers.set(spec.id, entry);
    return entry;
  }

  /** The connection of `userId` (and, under per-session isolation, of that session) made with their own spec. */
  private userConnection(spec: UpstreamSpec, sessionId: string | undefined, userId: string | null | undefined): UpstreamSupervisor {
    if (userId === undefined || userId === null) throw new UpstreamError('UPSTREAM_NO_CREDENTIALS', spec, 'it takes each user\'s own credentials, and this session has no user');
    // A per-user spec carries its user's secrets: the entry keeps whatever spec it has (only its id and url are read).
    const entry = this.servers.get(spec.id) ?? this.entryFor(spec);
    const perSession = this.isPerSession(spec) && sessionId !== undefined;
    const key = perSession ? `${userId}\n${sessionId}` : userId;
    const existing = entry.users.get(key);
    if (existing) {
      if (existing.supervisor.spec !== spec) this.reconfigureInBackground(existing.supervisor, spec);
      return existing.supervisor;
    }
    const supervisor = this.createSupervisor(entry, this.options.sessionIdleTimeoutMs ?? 5 * 60_000, spec);
    entry.users.set(key, { userId, sessionId: perSession ? sessionId : null, supervisor });
    return supervisor;
  }

  /**
   * The id never mismatches here (entries are keyed by it), but closing the replaced connection can
   * fail (a process group that could not be signalled): logged, as `reconfigure`'s caller would.
   * Only the server id: a per-user spec carries its user's credentials.
   */
  private reconfigureInBackground(supervisor: UpstreamSupervisor, spec: UpstreamSpec): void {
    void supervisor.reconfigure(spec).catch((error: unknown) =>
      this.options.log?.('warn', 'upstream not reconfigured', { serverId: spec.id, error: errorMessage(error) }),
    );
  }

  private createSupervisor(entry: ServerEntry, idleTimeoutMs: number | null, spec: UpstreamSpec = entry.spec): UpstreamSupervisor {
    return new UpstreamSupervisor(spec, {
      ...this.options.connection,
      slots: entry.slots,
      processes: this.processes,
      discoveryMemory: entry.discovery,
      idleTimeoutMs,
      log: this.options.log,
    });
  }
}

/** The connections made with the server's own spec (shared and per-session). */
const sharedOf = (entry: ServerEntry): UpstreamSupervisor[] => [
  ...(entry.shared ? [entry.shared] : []),
  ...entry.sessions.values(),
];

const supervisorsOf = (entry: ServerEntry): UpstreamSupervisor[] => [...sharedOf(entry), ...[...entry.users.values()].map((connection) => connection.supervisor)];

/** Closes all, even if some fail; the first failure is rethrown once all are done. */
const closeEach = async (supervisors: UpstreamSupervisor[], options: Parameters<UpstreamSupervisor['close']>[0] = {}): Promise<void> => {
  const results = await Promise.allSettled(supervisors.map((supervisor) => supervisor.close(options)));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
};
