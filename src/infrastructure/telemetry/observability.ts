import type { Observable } from 'rxjs';
import type { DestinationStream } from 'pino';
import { DEFAULT_SETTINGS, type Settings } from '../../domain/settings/events';
import type { SecretBox } from '../crypto';
import type { StoredEvent } from '../eventstore';
import type { Database } from '../persistence/database';
import { DebugLogProjection, DebugLogQueries, deleteLogsBefore, journalHead, RetentionJob, TrafficJournal } from '../readmodels/debug-logs';
import type { UpstreamHealth } from '../upstream';
import { createLogger, silentLogger, type Logger } from './logger';
import { GatehouseMetrics, type MetricSources } from './metrics';
import { SecretValues } from './secret-values';
import { TrafficRecorder } from './traffic-tap';

/** Beyond this many unprojected journal records the gateway reports itself not ready. */
const READY_LAG_LIMIT = 5_000;
/** How often the debug-log projection looks for records other processes journaled. */
const JOURNAL_POLL_MS = 1_000;

export type Readiness = { ready: true } | { ready: false; reason: string };

export type ObservabilityOptions = Readonly<{
  database: Database;
  secrets: SecretBox;
  /** Committed configuration events (server secrets change the redactor). */
  events$: Observable<StoredEvent>;
  /** Hidden from every log line and debug log, like the servers' secrets. */
  adminToken: string | (() => string);
  /** GATEHOUSE_LOG_LEVEL. */
  logLevel: string;
  /** Where log lines go; without one nothing is logged (library use, tests). */
  logDestination?: DestinationStream;
  /** Tuning for tests: how often the journal writes and retention runs. */
  flushIntervalMs?: number;
  retentionIntervalMs?: number;
  maxQueue?: number;
}>;

/** What the metrics read of the live gateway at scrape time. */
export type GatewaySources = Pick<MetricSources, 'sessionProfiles' | 'servers' | 'eventLogHead'> &
  Readonly<{ upstreamHealth: (serverId: string) => readonly UpstreamHealth[]; liveProcesses: (serverId: string) => number; settings: () => Settings }>;

type Level = 'error' | 'warn' | 'info' | 'debug';

/**
 * Everything about watching the gateway: the structured log, the traffic journal and its
 * debug-log projection, retention, Prometheus metrics and readiness. Built before the proxy
 * (which records into it) and connected to it afterwards with `observe`.
 */
export class Observability {
  readonly logger: Logger;
  readonly metrics: GatehouseMetrics;
  readonly secretValues: SecretValues;
  readonly journal: TrafficJournal;
  readonly projection: DebugLogProjection;
  readonly traffic: TrafficRecorder;
  readonly logs: DebugLogQueries;
  readonly retention: RetentionJob;
  private settings: () => Settings = () => DEFAULT_SETTINGS;
  private lastWriteError = 0;
  private followJournal: NodeJS.Timeout | null = null;

  private constructor(private readonly options: ObservabilityOptions, projection: DebugLogProjection, head: number) {
    const { database, secrets, adminToken } = options;
    const redactor = () => this.secretValues.redactor();
    // The logger first: it throws on an unknown level, before anything is subscribed.
    this.logger = options.logDestination === undefined ? silentLogger() : createLogger({ level: options.logLevel, destination: options.logDestination, redactor });
    this.secretValues = new SecretValues(database.reads, secrets, () => [typeof adminToken === 'string' ? adminToken : adminToken()], options.events$);
    this.metrics = new GatehouseMetrics();
    this.projection = projection;
    this.journal = new TrafficJournal({
      database,
      head,
      payloadMaxBytes: () => this.settings().logPayloadMaxBytes,
      maxQueue: options.maxQueue,
      flushIntervalMs: options.flushIntervalMs,
      onWritten: (count) => this.metrics.debugLogRowsWritten.inc(count),
      onDropped: (reason, count) => this.metrics.debugLogRowsDropped.inc({ reason }, count),
      onError: (error) => this.writeFailed(error),
      onAppended: (entries) => this.projection.schedule(entries),
    });
    this.traffic = new TrafficRecorder({ sink: this.journal, metrics: this.metrics, redactor });
    this.logs = new DebugLogQueries(database.reads);
    this.retention = new RetentionJob({
      database,
      policy: () => this.settings(),
      intervalMs: options.retentionIntervalMs,
      onRun: (result) => this.logger.info(result, 'debug-log retention deleted rows'),
      onError: (error) => this.logger.warn({ err: error }, 'debug-log retention failed'),
    });
  }

  static async open(options: ObservabilityOptions): Promise<Observability> {
    let observability: Observability | undefined;
    const projection = await DebugLogProjection.open(options.database, { onError: (error) => observability?.logger.warn({ err: error }, 'debug-log projection failed') });
    try {
      observability = new Observability(options, projection, Math.max(projection.position(), await journalHead(options.database)));
      await observability.secretValues.reload();
      // Records journaled before a crash and not yet projected.
      await projection.catchUp();
      return observability;
    } catch (error) {
      // Not opened after all: the secrets' subscription and the projection are closed before the error goes up.
      observability?.secretValues.close();
      projection.close();
      throw error;
    }
  }

  /** For the proxy's and OAuth's log callbacks. */
  readonly log = (level: string, message: string, fields: object = {}): void => {
    const method: Level = (['error', 'warn', 'info', 'debug'] as const).find((known) => known === level) ?? 'info';
    this.logger[method](fields, message);
  };

  /** Connects metrics and retention to the live gateway and starts the periodic jobs. */
  observe(gateway: GatewaySources): void {
    this.settings = gateway.settings;
    this.metrics.observe({
      sessionProfiles: gateway.sessionProfiles,
      servers: gateway.servers,
      upstreamHealth: gateway.upstreamHealth,
      liveProcesses: gateway.liveProcesses,
      eventLogHead: gateway.eventLogHead,
      journalHead: () => this.journal.head(),
      debugLogPosition: () => this.projection.position(),
      queueLength: () => this.journal.queueLength,
    });
    this.retention.start();
    // Other processes journal too (another instance on PostgreSQL, `gatehouse stdio` beside
    // `serve` on SQLite): their records reach this process's read model and live tail by this
    // poll, or sooner when the database tells of their commit (PostgreSQL, see startGateway).
    this.followJournal = setInterval(() => this.projection.schedule(), JOURNAL_POLL_MS);
    this.followJournal.unref();
  }

  /** The base check (database writable, migrations applied) plus the debug-log projection's lag. */
  readiness(base: Readiness): Readiness {
    if (!base.ready) return base;
    const lag = this.journal.head() - this.projection.position();
    if (this.projection.lastError !== null && lag > 0) return { ready: false, reason: `debug-log projection is ${lag} records behind: ${this.projection.lastError}` };
    if (lag > READY_LAG_LIMIT) return { ready: false, reason: `debug-log projection is ${lag} records behind the traffic journal` };
    return base;
  }

  /** Deletes debug logs recorded before `before` (`DELETE /api/logs`). */
  deleteLogsBefore(before: string): Promise<number> {
    return deleteLogsBefore(this.options.database, before);
  }

  /** Writes what is queued and projects it: for shutdown, and for tests that read right after traffic. */
  async flush(): Promise<void> {
    await this.journal.flush();
    await this.projection.catchUp();
  }

  async close(): Promise<void> {
    if (this.followJournal !== null) clearInterval(this.followJournal);
    this.followJournal = null;
    try {
      await this.retention.stop();
      await this.journal.close();
      await this.projection.catchUp();
    } finally {
      this.projection.close();
      this.secretValues.close();
      this.logger.flush();
    }
  }

  /** A database that refuses writes would log once per batch; once a minute says enough. */
  private writeFailed(error: unknown): void {
    if (Date.now() - this.lastWriteError < 60_000) return;
    this.lastWriteError = Date.now();
    this.logger.warn({ err: error }, 'debug-log batch could not be written; records dropped');
  }
}
