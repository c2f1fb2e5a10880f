import type { DestinationStream } from 'pino';
import { DEFAULT_SETTINGS, type Settings } from '../domain/settings/events';
import type { OpenedDatabase } from '../infrastructure/database';
import {
  createLogger, DebugLogProjection, DebugLogQueries, deleteLogsBefore, GatehouseMetrics, RetentionJob, SecretValues,
  silentLogger, TrafficJournal, TrafficRecorder, type Logger,
} from '../infrastructure/telemetry';
import type { McpGateway } from './mcp/mcp-gateway';
import type { ApiOptions } from './rest/app';
import { logAppError, requestLog } from './rest/request-log';
import type { Readiness } from './rest/routes/health.routes';
import { logRoutes } from './rest/routes/logs.routes';
import { metricsRoutes } from './rest/routes/metrics.routes';

/** Beyond this many unprojected journal records the gateway reports itself not ready. */
const READY_LAG_LIMIT = 5_000;

export type ObservabilityOptions = Readonly<{
  database: OpenedDatabase;
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

type Level = 'error' | 'warn' | 'info' | 'debug';

/**
 * Everything about watching the gateway: the structured log, the traffic journal and its
 * debug-log projection, retention, Prometheus metrics and readiness. Built before the MCP
 * gateway (which records into it) and connected to it afterwards with `observe`.
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
  private app?: Pick<ApiOptions, 'extraApiRouters' | 'adminRouters' | 'instrument'>;

  constructor(private readonly options: ObservabilityOptions) {
    const { sql, secrets, store } = options.database;
    const adminToken = options.adminToken;
    this.secretValues = new SecretValues(sql, secrets, () => [typeof adminToken === 'string' ? adminToken : adminToken()], store.committed$);
    const redactor = () => this.secretValues.redactor();
    this.logger = options.logDestination === undefined ? silentLogger() : createLogger({ level: options.logLevel, destination: options.logDestination, redactor });
    this.metrics = new GatehouseMetrics();
    this.projection = new DebugLogProjection(sql, { onError: (error) => this.logger.warn({ err: error }, 'debug-log projection failed') });
    this.journal = new TrafficJournal({
      sql,
      payloadMaxBytes: () => this.settings().logPayloadMaxBytes,
      maxQueue: options.maxQueue,
      flushIntervalMs: options.flushIntervalMs,
      onWritten: (count) => this.metrics.debugLogRowsWritten.inc(count),
      onDropped: (reason, count) => this.metrics.debugLogRowsDropped.inc({ reason }, count),
      onError: (error) => this.writeFailed(error),
      onAppended: (entries) => this.projection.schedule(entries),
    });
    this.traffic = new TrafficRecorder({ sink: this.journal, metrics: this.metrics, redactor });
    this.logs = new DebugLogQueries(sql);
    this.retention = new RetentionJob({
      sql,
      policy: () => this.settings(),
      intervalMs: options.retentionIntervalMs,
      onRun: (result) => this.logger.info(result, 'debug-log retention deleted rows'),
      onError: (error) => this.logger.warn({ err: error }, 'debug-log retention failed'),
    });
    // Records journaled before a crash and not yet projected.
    this.projection.catchUp();
  }

  /** For `McpGatewayOptions.log`. */
  readonly gatewayLog = (level: string, message: string, fields: object = {}): void => {
    const method: Level = (['error', 'warn', 'info', 'debug'] as const).find((known) => known === level) ?? 'info';
    this.logger[method](fields, message);
  };

  /** Connects metrics and retention to the live gateway and starts the periodic jobs. */
  observe(gateway: McpGateway): void {
    const { sql, store } = this.options.database;
    this.settings = gateway.settings;
    this.metrics.observe({
      sessionProfiles: () => [...gateway.sessions.values()].map(({ session }) => session.slug),
      servers: () => sql.all<{ id: string; name: string }>(`SELECT id, name FROM servers WHERE status = 'active' ORDER BY name`),
      upstreamHealth: (serverId) => gateway.pool.health(serverId),
      liveProcesses: (serverId) => gateway.pool.liveProcessCount(serverId),
      eventLogHead: () => store.headPosition(),
      journalHead: () => this.journal.head(),
      debugLogPosition: () => this.projection.position(),
      queueLength: () => this.journal.queueLength,
    });
    this.retention.start();
  }

  /** The base check (database writable, migrations applied) plus the debug-log projection's lag. */
  readiness(base: Readiness): Readiness {
    if (!base.ready) return base;
    try {
      const lag = this.journal.head() - this.projection.position();
      if (this.projection.lastError !== null && lag > 0) return { ready: false, reason: `debug-log projection is ${lag} records behind: ${this.projection.lastError}` };
      if (lag > READY_LAG_LIMIT) return { ready: false, reason: `debug-log projection is ${lag} records behind the traffic journal` };
      return base;
    } catch (error) {
      return { ready: false, reason: `projection state unreadable: ${(error as Error).message}` };
    }
  }

  /** What `createApp` mounts: `/api/logs`, `/metrics` (behind the app's admin guards), the request log. Built once. */
  get appOptions(): Pick<ApiOptions, 'extraApiRouters' | 'adminRouters' | 'instrument'> {
    return (this.app ??= {
      extraApiRouters: [logRoutes({ queries: this.logs, rows$: this.projection.rows$, deleteBefore: (before) => deleteLogsBefore(this.options.database.sql, before) })],
      adminRouters: (guards) => [metricsRoutes(this.metrics, guards)],
      // Outermost, so the request log sees the status the problem handler settles on.
      instrument: (app) => {
        app.use(requestLog(this.logger));
        app.on('error', logAppError(this.logger));
      },
    });
  }

  /** Writes what is queued and projects it: for shutdown, and for tests that read right after traffic. */
  flush(): void {
    this.journal.flush();
    this.projection.catchUp();
  }

  async close(): Promise<void> {
    await this.retention.stop();
    this.journal.close();
    this.projection.catchUp();
    this.projection.close();
    this.secretValues.close();
    this.logger.flush();
  }

  /** A database that refuses writes would log once per batch; once a minute says enough. */
  private writeFailed(error: unknown): void {
    if (Date.now() - this.lastWriteError < 60_000) return;
    this.lastWriteError = Date.now();
    this.logger.warn({ err: error }, 'debug-log batch could not be written; records dropped');
  }
}
