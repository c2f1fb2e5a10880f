import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamHealth, UpstreamStatus } from '../upstream';
import type { ServerRef, TrafficStatus } from './traffic-types';

const UPSTREAM_STATUSES: readonly UpstreamStatus[] = ['idle', 'connecting', 'ready', 'unhealthy', 'restarting', 'stopped'];

/**
 * Methods a client may send, as metric labels. Anything else is counted as `other`: a label
 * value per made-up method name would let one client grow the series without bound.
 */
const KNOWN_METHODS = new Set([
  'initialize', 'ping', 'tools/list', 'tools/call', 'prompts/list', 'prompts/get', 'resources/list',
  'resources/templates/list', 'resources/read', 'resources/subscribe', 'resources/unsubscribe', 'completion/complete',
  'logging/setLevel', 'notifications/initialized', 'notifications/cancelled', 'notifications/progress',
  'notifications/roots/list_changed',
]);

export const methodLabel = (method: string): string => (KNOWN_METHODS.has(method) ? method : 'other');

/** Where the collected (scrape-time) metrics read the live state. */
export type MetricSources = Readonly<{
  /** The profile slug of every open downstream session. */
  sessionProfiles: () => Iterable<string>;
  /** The active servers (read at scrape time). */
  servers: () => Promise<readonly ServerRef[]>;
  upstreamHealth: (serverId: string) => readonly UpstreamHealth[];
  liveProcesses: (serverId: string) => number;
  eventLogHead: () => Promise<number>;
  journalHead: () => number;
  debugLogPosition: () => number;
  queueLength: () => number;
}>;

/**
 * The gateway's Prometheus metrics, in a registry of its own (two gateways in one process,
 * as in tests, do not share counters). Counters are updated on the request path; gauges
 * about sessions, upstreams and positions are read from `MetricSources` at scrape time.
 */
export class GatehouseMetrics {
  readonly registry = new Registry();
  readonly mcpRequests: Counter<'profile' | 'server' | 'method' | 'outcome'>;
  readonly mcpDuration: Histogram<'profile' | 'server' | 'method'>;
  readonly mcpNotifications: Counter<'profile' | 'method'>;
  readonly debugLogRowsWritten: Counter;
  readonly debugLogRowsDropped: Counter<'reason'>;
  private sources: MetricSources | null = null;
  /**
   * The labelled series of the request metrics, by their label values: prom-client hashes a
   * label object on every call, and a proxied call counts and times itself once each.
   */
  private readonly requestCounts = new Map<string, Counter.Internal>();
  private readonly requestDurations = new Map<string, Histogram.Internal<'profile' | 'server' | 'method'>>();

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.mcpRequests = new Counter({
      name: 'gatehouse_mcp_requests_total',
      help: 'Downstream MCP requests by profile, upstream server (empty when fanned out or not routed), method and outcome',
      labelNames: ['profile', 'server', 'method', 'outcome'],
      registers,
    });
    this.mcpDuration = new Histogram({
      name: 'gatehouse_mcp_request_duration_seconds',
      help: 'Time from a downstream MCP request to its answer',
      labelNames: ['profile', 'server', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.mcpNotifications = new Counter({ name: 'gatehouse_mcp_notifications_total', help: 'Downstream MCP notifications by profile and method', labelNames: ['profile', 'method'], registers });
    this.debugLogRowsWritten = new Counter({ name: 'gatehouse_debug_log_rows_written_total', help: 'Debug-log records written to the traffic journal', registers });
    this.debugLogRowsDropped = new Counter({
      name: 'gatehouse_debug_log_rows_dropped_total',
      help: 'Debug-log records lost: queue_full (the writer fell behind), write_failed (the database refused the batch), closed',
      labelNames: ['reason'],
      registers,
    });
    this.defineCollected(registers);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
  }

  /** Connects the scrape-time gauges to the live gateway. */
  observe(sources: MetricSources): void {
    this.sources = sources;
  }

  observeRequest(profile: string, server: string, method: string, outcome: TrafficStatus, seconds: number): void {
    const label = methodLabel(method);
    const key = `${profile}\u0000${server}\u0000${label}`;
    const countKey = `${key}\u0000${outcome}`;
    let count = this.requestCounts.get(countKey);
    if (count === undefined) {
      count = this.mcpRequests.labels({ profile, server, method: label, outcome });
      this.requestCounts.set(countKey, count);
    }
    let duration = this.requestDurations.get(key);
    if (duration === undefined) {
      duration = this.mcpDuration.labels({ profile, server, method: label });
      this.requestDurations.set(key, duration);
    }
    count.inc();
    duration.observe(seconds);
  }

  countNotification(profile: string, method: string): void {
    this.mcpNotifications.inc({ profile, method: methodLabel(method) });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private defineCollected(registers: Registry[]): void {
    const live = (): MetricSources | null => this.sources;
    new Gauge({
      name: 'gatehouse_mcp_sessions_open', help: 'Open downstream MCP sessions by profile', labelNames: ['profile'], registers,
      collect() {
        this.reset();
        for (const profile of live()?.sessionProfiles() ?? []) this.inc({ profile });
      },
    });
    new Gauge({
      name: 'gatehouse_upstream_status', help: 'Upstream connections of each server by status (per-session isolation may have several)', labelNames: ['server', 'status'], registers,
      async collect() {
        this.reset();
        for (const server of (await live()?.servers()) ?? []) {
          const health = live()?.upstreamHealth(server.id) ?? [];
          for (const status of UPSTREAM_STATUSES) this.set({ server: server.name, status }, health.filter((h) => h.status === status).length);
        }
      },
    });
    new Counter({
      name: 'gatehouse_upstream_restarts_total', help: 'Reconnects of each server after a crash or failed connect, over its current connections', labelNames: ['server'], registers,
      async collect() {
        // Read from the supervisors at scrape time: a replaced connection starts again at 0,
        // which Prometheus treats as a counter reset.
        this.reset();
        for (const server of (await live()?.servers()) ?? []) {
          this.inc({ server: server.name }, (live()?.upstreamHealth(server.id) ?? []).reduce((sum, h) => sum + h.restarts, 0));
        }
      },
    });
    new Gauge({
      name: 'gatehouse_upstream_processes', help: 'Live stdio processes (process groups) of each server', labelNames: ['server'], registers,
      async collect() {
        this.reset();
        for (const server of (await live()?.servers()) ?? []) this.set({ server: server.name }, live()?.liveProcesses(server.id) ?? 0);
      },
    });
    new Gauge({
      name: 'gatehouse_event_log_head_position', help: 'Global position of the last configuration event', registers,
      async collect() {
        this.set((await live()?.eventLogHead()) ?? 0);
      },
    });
    new Gauge({
      name: 'gatehouse_traffic_journal_head_position', help: 'Sequence number of the last record in the traffic journal', registers,
      collect() {
        this.set(live()?.journalHead() ?? 0);
      },
    });
    new Gauge({
      name: 'gatehouse_projection_lag', help: 'How far each projection is behind its log (configuration: events, inline so always 0; debug_logs: traffic journal records)', labelNames: ['projection'], registers,
      collect() {
        const sources = live();
        this.set({ projection: 'configuration' }, 0);
        this.set({ projection: 'debug_logs' }, sources ? Math.max(0, sources.journalHead() - sources.debugLogPosition()) : 0);
      },
    });
    new Gauge({
      name: 'gatehouse_debug_log_queue_length', help: 'Debug-log records waiting for the next journal batch', registers,
      collect() {
        this.set(live()?.queueLength() ?? 0);
      },
    });
  }
}
