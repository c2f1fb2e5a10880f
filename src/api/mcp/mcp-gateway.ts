import { createHash, randomUUID } from 'node:crypto';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { bufferTime, filter, type Subscription } from 'rxjs';
import * as serverDomain from '../../domain/server';
import type { Settings } from '../../domain/settings/events';
import type { GatehouseContext } from '../../infrastructure/commands/context';
import { handleCommand } from '../../infrastructure/commands/handle-command';
import { currentSettings } from '../../infrastructure/commands/settings.commands';
import { UpstreamCatalog, type ListItem, type ListKind } from '../../infrastructure/proxy/catalog';
import { loadProxyProfile, loadServerSpec, type ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { UpstreamHub } from '../../infrastructure/proxy/upstream-hub';
import type { TrafficRecorder } from '../../infrastructure/telemetry';
import { UpstreamPool, type McpTool, type UpstreamSpec, type UpstreamTokenSource } from '../../infrastructure/upstream';
import { watchSessionKeys } from '../security/session-key-watch';
import { serversWithChangedAdmission } from '../security/upstream-allowlist';
import { impactOf } from './config-changes';
import { DownstreamSession } from './downstream-session';

const SWEEP_INTERVAL_MS = 5_000;
/** Config events are applied in small batches: one burst of REST writes, one list_changed. */
const CONFIG_BATCH_MS = 50;

export type McpGatewayOptions = Readonly<{
  context: GatehouseContext;
  log?: (level: string, message: string, fields?: object) => void;
  /** Metrics and debug logs of every downstream session's traffic. */
  traffic?: TrafficRecorder;
  /** OAuth tokens for HTTP upstreams (infrastructure/oauth), asked at every upstream request. */
  tokens?: UpstreamTokenSource;
}>;

/** Canonical JSON (sorted keys) so that the same tools always give the same fingerprint. */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : typeof value === 'object' && value !== null
      ? `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`
      : JSON.stringify(value);

export const toolsFingerprint = (tools: readonly McpTool[]): string =>
  createHash('sha256').update(canonical([...tools].sort((a, b) => a.name.localeCompare(b.name)))).digest('hex');

/**
 * The live half of Gatehouse: downstream sessions, the upstream pool they share, and the
 * subscriber that turns committed configuration events into list_changed notifications,
 * reconnects and process teardown.
 */
export class McpGateway {
  readonly pool: UpstreamPool;
  readonly hub: UpstreamHub;
  readonly catalog: UpstreamCatalog;
  readonly sessions = new Map<string, { session: DownstreamSession; transport: Transport }>();
  /**
   * Profiles by id (sessions) and by slug (MCP endpoints), so that a request does not re-read
   * its profile and re-open its servers' secrets every time (~200 µs for ten servers). Both are
   * emptied together, synchronously by every local commit and when changes committed elsewhere
   * are applied from the log, so nothing serves an older configuration than a fresh read would.
   */
  private readonly profiles = new Map<string, ProxyProfile | null>();
  private readonly profilesBySlug = new Map<string, ProxyProfile>();
  private settingsCache: Settings;
  /** The last global position whose effects were applied (see followLog). */
  private appliedPosition = 0;
  private readonly subscriptions: Subscription[] = [];
  private readonly sweeper: NodeJS.Timeout;
  private readonly stopKeyWatch: () => void;
  private closing?: Promise<void>;

  private constructor(private readonly options: McpGatewayOptions, settings: Settings) {
    this.settingsCache = settings;
    this.pool = new UpstreamPool({
      connection: {
        connectTimeoutMs: () => this.settingsCache.connectTimeoutMs,
        defaultRequestTimeoutMs: settings.requestTimeoutMs,
        allowedHosts: () => this.settingsCache.upstreamAllowedHosts,
        tokens: options.tokens,
      },
      maxConnectionsPerServer: settings.maxProcessesPerServer,
      sessionIdleTimeoutMs: settings.sessionIdleTimeoutMs,
    });
    this.hub = new UpstreamHub(this.pool);
    this.catalog = new UpstreamCatalog((spec, kind, items) => this.onListed(spec, kind, items));
    this.subscriptions.push(
      this.hub.notices$.subscribe((notice) => {
        if (notice.kind === 'tools_changed') this.catalog.invalidate(notice.serverId, ['tools']);
        if (notice.kind === 'prompts_changed') this.catalog.invalidate(notice.serverId, ['prompts']);
        if (notice.kind === 'resources_changed') this.catalog.invalidate(notice.serverId, ['resources', 'templates']);
      }),
      options.context.store.committed$.subscribe(() => this.forgetProfiles()),
      options.context.store.committed$
        .pipe(bufferTime(CONFIG_BATCH_MS), filter((events) => events.length > 0))
        .subscribe((events) => void this.applyConfigChanges(events)),
    );
    this.sweeper = setInterval(() => void this.sweepIdle(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    this.stopKeyWatch = watchSessionKeys(options.context.sql, () => this.sessions.values());
  }

  static async create(options: McpGatewayOptions): Promise<McpGateway> {
    const gateway = new McpGateway(options, (await currentSettings(options.context)).settings);
    gateway.appliedPosition = await options.context.store.headPosition();
    return gateway;
  }

  settings = (): Settings => this.settingsCache;

  profileById = (profileId: string): ProxyProfile | null => {
    if (!this.profiles.has(profileId)) {
      this.profiles.set(profileId, loadProxyProfile(this.options.context.sql, this.options.context.secrets, { id: profileId }));
    }
    return this.profiles.get(profileId) ?? null;
  };

  profileBySlug(slug: string): ProxyProfile | null {
    const cached = this.profilesBySlug.get(slug);
    if (cached) return cached;
    const profile = loadProxyProfile(this.options.context.sql, this.options.context.secrets, { slug });
    if (profile) {
      this.profiles.set(profile.id, profile);
      this.profilesBySlug.set(slug, profile);
    }
    return profile;
  }

  private forgetProfiles(): void {
    this.profiles.clear();
    this.profilesBySlug.clear();
  }

  /** A new downstream session of `profile` on `transport` (not yet connected). */
  createSession(profile: ProxyProfile, keyId: string | null, sessionId: string = randomUUID()): DownstreamSession {
    return new DownstreamSession(
      sessionId,
      profile.id,
      profile.slug,
      keyId,
      { hub: this.hub, catalog: this.catalog, profile: this.profileById, settings: this.settings },
      (closed) => {
        this.sessions.delete(closed.sessionId);
        void this.pool.releaseSession(closed.sessionId);
      },
      this.options.traffic,
    );
  }

  register(session: DownstreamSession, transport: Transport): void {
    this.sessions.set(session.sessionId, { session, transport });
  }

  /**
   * Follows the event log by global position, for a process that does not write the
   * configuration itself (`gatehouse stdio` next to `gatehouse serve`, or a second instance on
   * a shared database): changes committed elsewhere reach its sessions within `intervalMs`.
   */
  async followLog(intervalMs = 1_000): Promise<void> {
    const poll = async (): Promise<void> => {
      const events = await this.options.context.store.readAll({ after: this.appliedPosition, limit: 1_000 });
      if (events.length > 0) await this.applyConfigChanges(events);
    };
    const timer = setInterval(() => void poll().catch(() => undefined), intervalMs);
    timer.unref();
    this.subscriptions.push({ unsubscribe: () => clearInterval(timer) } as Subscription);
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.sweeper);
      this.stopKeyWatch();
      for (const subscription of this.subscriptions) subscription.unsubscribe();
      await Promise.allSettled([...this.sessions.values()].map(({ session }) => session.close()));
      await this.pool.closeAll();
    })();
    return this.closing;
  }

  private async sweepIdle(): Promise<void> {
    const limit = Date.now() - this.settingsCache.sessionIdleTimeoutMs;
    // A stdio session (`gatehouse stdio`) lives as long as its process: its client cannot
    // reconnect, so closing it would leave the client talking to a process that never answers.
    const idle = [...this.sessions.values()].filter(
      ({ session, transport }) => session.lastActivity < limit && !(transport instanceof StdioServerTransport),
    );
    await Promise.allSettled(idle.map(({ session }) => session.close()));
  }

  private async applyConfigChanges(batch: Parameters<typeof impactOf>[0]): Promise<void> {
    // Local commits arrive on committed$ and, with followLog, again from the log: apply each once.
    const events = batch.filter((event) => event.position > this.appliedPosition);
    if (events.length === 0) return;
    this.appliedPosition = events[events.length - 1].position;
    const impact = impactOf(events);
    this.forgetProfiles();
    if (impact.settingsChanged) {
      const allowedBefore = this.settingsCache.upstreamAllowedHosts;
      this.settingsCache = (await currentSettings(this.options.context)).settings;
      for (const serverId of serversWithChangedAdmission(this.options.context.sql, allowedBefore, this.settingsCache.upstreamAllowedHosts)) {
        this.catalog.invalidate(serverId);
        await this.pool.release(serverId).catch(() => undefined);
      }
    }
    for (const serverId of [...impact.reconnect, ...impact.removed]) this.catalog.invalidate(serverId);
    for (const serverId of impact.removed) await this.pool.release(serverId).catch(() => undefined);
    for (const serverId of impact.authorized) {
      this.catalog.invalidate(serverId);
      // Only one waiting out a backoff (or given up): a connection being opened right now already
      // asks for the new token, and releasing it would fail the call that opened it.
      if (this.pool.health(serverId).some((health) => health.status === 'restarting' || health.status === 'stopped')) {
        await this.pool.release(serverId).catch(() => undefined);
      }
    }
    for (const serverId of impact.reconnect) {
      const spec = loadServerSpec(this.options.context.sql, this.options.context.secrets, serverId);
      if (spec) await this.pool.reconfigure(spec).catch(() => undefined);
    }
    for (const serverId of impact.maybeUnused) {
      const used = this.options.context.sql.get(`SELECT 1 AS used FROM profile_servers WHERE server_id = ? AND status = 'active' LIMIT 1`, serverId);
      if (!used) await this.pool.release(serverId).catch(() => undefined);
    }
    for (const { session } of this.sessions.values()) {
      if (session.keyId !== null && impact.revokedKeys.includes(session.keyId)) {
        void session.close();
        continue;
      }
      const direct = impact.profiles.get(session.profileId);
      if (direct) session.listsChanged(direct);
      for (const [serverId, kinds] of impact.servers) {
        if (this.options.context.sql.get('SELECT 1 AS used FROM profile_servers WHERE profile_id = ? AND server_id = ?', session.profileId, serverId)) {
          session.listsChanged(kinds);
        }
      }
    }
  }

  /** Records an upstream's tool definitions when they changed (ServerToolsDiscovered). */
  private onListed<K extends ListKind>(spec: UpstreamSpec, kind: K, items: ListItem[K][]): void {
    if (kind !== 'tools') return;
    const tools = items as McpTool[];
    const fingerprint = toolsFingerprint(tools);
    const current = this.options.context.sql.get<{ fp: string | null }>('SELECT tools_fingerprint AS fp FROM servers WHERE id = ?', spec.id);
    if (!current || current.fp === fingerprint) return;
    const discovered = tools.map((tool) => ({
      name: tool.name,
      ...(tool.title !== undefined ? { title: tool.title } : {}),
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      inputSchema: tool.inputSchema as Record<string, unknown>,
      ...(tool.outputSchema !== undefined ? { outputSchema: tool.outputSchema as Record<string, unknown> } : {}),
      ...(tool.annotations !== undefined ? { annotations: tool.annotations as Record<string, unknown> } : {}),
    }));
    void handleCommand(
      this.options.context.store,
      serverDomain.serverDecider,
      serverDomain.serverStreamId(spec.id),
      { type: 'RecordDiscoveredTools', data: { serverId: spec.id, tools: discovered, fingerprint } },
      { actor: 'system:discovery', correlationId: randomUUID() },
    ).catch((error: unknown) => this.options.log?.('warn', 'could not record discovered tools', { serverId: spec.id, error: String(error) }));
  }
}
