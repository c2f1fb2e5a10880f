import type { DestinationStream } from 'pino';
import type { Subscription } from 'rxjs';
import { currentSettings } from './readmodels/settings';
import { expiredRecordsSweep } from './expired-records';
import type { PeriodicJob } from './periodic-job';
import { LogFollower, type StoredEvent } from './eventstore';
import { storageOf } from './application-storage';
import { OAuthService } from './oauth';
import { UpstreamCatalog } from './proxy/catalog';
import { ConfigFollower } from './proxy/config-follower';
import { CredentialDirectory } from './proxy/credential-directory';
import { KeyDirectory } from './proxy/key-directory';
import { toProxyProfile, toUpstreamSpec } from './proxy/profile-config';
import { ProfileDirectory } from './proxy/profile-directory';
import type { ProxyDependencies } from './proxy/profile-proxy';
import { SessionRegistry } from './proxy/session-registry';
import { SettingsDirectory } from './proxy/settings-directory';
import { ToolDiscovery } from './proxy/tool-discovery';
import { UpstreamHub } from './proxy/upstream-hub';
import { ApiKeyReadModel } from './readmodels/apikey';
import { UserCredentialsReadModel } from './readmodels/credentials';
import { ProfileReadModel } from './readmodels/profile';
import { AccessReadModel } from './readmodels/access';
import { UserReadModel } from './readmodels/user';
import { ServerReadModel } from './readmodels/server';
import { Observability } from './telemetry/observability';
import { UpstreamPool } from './upstream';
import { InstanceMailbox, SessionIds, SessionStore } from './mcp-sessions';
import { KeyUseRecorder, recordKeyUse } from './key-usage';
import { closeInOrder } from './teardown';
import type { Application } from './application';

export type GatewayOptions = Readonly<{
  /** Where JSON log lines go (`serve`: stdout); without one nothing is logged. */
  logDestination?: DestinationStream;
  /** Hidden from every log line and debug log. */
  adminToken: string | (() => string);
  /** GATEHOUSE_PUBLIC_URL or the bound address, read when an OAuth flow starts. */
  publicUrl: () => string;
  /** How often the log is read for changes made by other processes (default 250 ms). */
  followIntervalMs?: number;
}>;

/**
 * The live half of Gatehouse on top of an application: the profile and key directories fed by
 * the committed events, the upstream pool and what shares it, the open sessions, the follower
 * that turns configuration changes into reconnects and list_changed, telemetry and OAuth.
 */
export type Gateway = Readonly<{
  app: Application;
  follower: LogFollower;
  profiles: ProfileDirectory;
  keys: KeyDirectory;
  settings: SettingsDirectory;
  pool: UpstreamPool;
  hub: UpstreamHub;
  catalog: UpstreamCatalog;
  sessions: SessionRegistry;
  /** Streamable HTTP sessions that outlive the process: their sealed ids and stored records. */
  persistedSessions: Readonly<{ ids: SessionIds; store: SessionStore }>;
  /** Messages to the other instances on the same PostgreSQL database; null on SQLite (one instance). */
  mailbox: InstanceMailbox | null;
  proxy: ProxyDependencies;
  observability: Observability;
  oauth: OAuthService;
  /**
   * Connects to a server and lists its tools now (recorded like any discovery), for the admin
   * who wants to see them before any client has asked; the number listed, or null for a server
   * that is not active.
   */
  discoverTools: (serverId: string, deadlineMs: number) => Promise<number | null>;
  /** Starts what runs in the background of `gatehouse serve` (OAuth refresh); stdio refreshes on use. */
  startBackground: () => Promise<void>;
  close: () => Promise<void>;
}>;

export const startGateway = async (app: Application, options: GatewayOptions): Promise<Gateway> => {
  const { secrets } = app;
  const { store, database } = storageOf(app);
  const follower = new LogFollower(store, { intervalMs: options.followIntervalMs });
  let stopRefresh: (() => void) | null = null;
  /** The serving process's sweep of expired runtime records (startBackground). */
  let sweep: PeriodicJob<unknown> | null = null;
  /** What start has opened so far: a part is absent until it is open, and teardown skips it until then. */
  const opened: Partial<{
    sessions: SessionRegistry;
    configFollower: ConfigFollower;
    stopWakeups: (() => Promise<void>) | null;
    mailbox: InstanceMailbox | null;
    pool: UpstreamPool;
    keyUses: KeyUseRecorder;
    noticeSubscription: Subscription;
    cacheSubscription: Subscription;
    observability: Observability;
  }> = {};
  /** Stops all of it, each step whether or not the ones before failed. */
  const teardown = (): Promise<void> =>
    closeInOrder([
      () => stopRefresh?.(),
      () => sweep?.stop(),
      () => opened.sessions?.closeAll(),
      () => opened.configFollower?.stop(),
      () => opened.stopWakeups?.(),
      () => opened.mailbox?.close(),
      () => follower.stop(),
      () => opened.pool?.closeAll(),
      () => opened.keyUses?.close(),
      () => opened.noticeSubscription?.unsubscribe(),
      () => opened.cacheSubscription?.unsubscribe(),
      () => opened.observability?.close(),
    ]);
  try {
    const settings = new SettingsDirectory((await currentSettings(store)).settings);
    const profiles = new ProfileDirectory(async (key) => {
      const record = await new ProfileReadModel(database.reads).proxyRecord(key);
      return record === null ? null : toProxyProfile(secrets, record);
    });
    const keyUses = new KeyUseRecorder({
      write: (entries) => recordKeyUse(database, entries),
      onError: (error) => observability.log('warn', 'API key use not recorded', { error: String(error) }),
    });
    opened.keyUses = keyUses;
    const keys = new KeyDirectory((hash) => new ApiKeyReadModel(database.reads).byHash(hash), (keyId) => keyUses.used(keyId));
    const credentials = new CredentialDirectory(secrets);
    credentials.load(await new UserCredentialsReadModel(database.reads).all());
    // Caches first, so that whatever reacts to an event after them reads the new configuration.
    const applyToCaches = (event: StoredEvent): void => {
      settings.apply(event);
      profiles.apply(event);
      keys.apply(event);
      credentials.apply(event);
    };
    const cacheSubscription = follower.events$.subscribe(applyToCaches);
    opened.cacheSubscription = cacheSubscription;
    const observability = await Observability.open({
      database,
      secrets,
      events$: follower.events$,
      adminToken: options.adminToken,
      logLevel: app.config.logLevel,
      logDestination: options.logDestination,
    });
    opened.observability = observability;
    const log = observability.log;
    // Subscribed to the follower before the config follower is: a grant from another instance is
    // read fresh by the connections that config follower wakes.
    const oauth = new OAuthService({
      context: { store, secrets, reads: database.reads }, publicUrl: options.publicUrl, log, allowedHosts: () => settings.current().upstreamAllowedHosts, changes$: follower.events$,
    });
    const initial = settings.current();
    const pool = new UpstreamPool({
      connection: {
        connectTimeoutMs: () => settings.current().connectTimeoutMs,
        defaultRequestTimeoutMs: initial.requestTimeoutMs,
        allowedHosts: () => settings.current().upstreamAllowedHosts,
        tokens: oauth.tokens,
      },
      maxConnectionsPerServer: initial.maxProcessesPerServer,
      sessionIdleTimeoutMs: initial.sessionIdleTimeoutMs,
      log,
    });
    opened.pool = pool;
    const hub = new UpstreamHub(pool, credentials);
    const discovery = new ToolDiscovery((serverId, tools, fingerprint, context) => app.commands.servers.recordDiscoveredTools(serverId, tools, fingerprint, context), log);
    const catalog = new UpstreamCatalog((spec, kind, items) => {
      if (kind === 'tools') discovery.listed(spec, items as Parameters<ToolDiscovery['listed']>[1]);
    });
    const noticeSubscription = hub.notices$.subscribe((notice) => {
      if (notice.kind === 'tools_changed') catalog.invalidate(notice.serverId, ['tools']);
      if (notice.kind === 'prompts_changed') catalog.invalidate(notice.serverId, ['prompts']);
      if (notice.kind === 'resources_changed') catalog.invalidate(notice.serverId, ['resources', 'templates']);
    });
    opened.noticeSubscription = noticeSubscription;
    const sessionStore = new SessionStore(database);
    const sessions = new SessionRegistry({
      idleTimeoutMs: () => settings.current().sessionIdleTimeoutMs,
      keys: (ids) => new ApiKeyReadModel(database.reads).byIds(ids),
      activity: sessionStore,
      log,
    });
    opened.sessions = sessions;
    const serverSpec = async (serverId: string) => {
      const row = await new ServerReadModel(database.reads).byId(serverId);
      return row === null || row.status !== 'active' ? null : toUpstreamSpec(secrets, row);
    };
    const configFollower = new ConfigFollower({
      events$: follower.events$,
      pool,
      catalog,
      sessions,
      profiles,
      settings: settings.current,
      reads: {
        serverSpec,
        serverInUse: (serverId) => new ProfileReadModel(database.reads).isServerInUse(serverId),
        userMayUse: async (userId, profileId) => {
          const user = await new UserReadModel(database.reads).byId(userId);
          return user !== null && user.status === 'enabled' && new AccessReadModel(database.reads).canUse({ kind: 'user', userId, role: user.role }, 'profile', profileId);
        },
      },
      log,
    });
    opened.configFollower = configFollower;
    observability.observe({
      sessionProfiles: () => [...sessions.values()].map((session) => session.slug),
      servers: () => new ServerReadModel(database.reads).list(),
      upstreamHealth: (serverId) => pool.health(serverId),
      liveProcesses: (serverId) => pool.liveProcessCount(serverId),
      eventLogHead: () => store.headPosition(),
      settings: settings.current,
    });
    await follower.start();
    // PostgreSQL tells of other instances' commits at once; the follower's polling stays as the fallback.
    const stopWakeups = await database
      .onCommitsElsewhere(
        () => {
          follower.wake();
          // The commit may be another instance's batch of the traffic journal: project it here too (the live tail).
          observability.projection.schedule();
        },
        (error) => log('warn', 'listening for other instances\' commits failed; following the log by polling until it is back', { error: String(error) }),
      )
      .catch((error: unknown) => {
        log('warn', 'cannot listen for other instances\' commits; following the log by polling', { error: String(error) });
        return null;
      });
    opened.stopWakeups = stopWakeups;
    const mailbox = await InstanceMailbox.open(database, secrets, (error) => log('warn', 'a message between instances was lost', { error: String(error) })).catch((error: unknown) => {
      log('warn', 'cannot listen for messages from other instances; translated requests are answered only by the instance that began them', { error: String(error) });
      return null;
    });
    opened.mailbox = mailbox;
    sessions.start();
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => (closing ??= teardown());
    return {
      app, follower, profiles, keys, settings, pool, hub, catalog, sessions, observability, oauth, close, mailbox,
      persistedSessions: { ids: new SessionIds(secrets), store: sessionStore },
      proxy: { hub, catalog, profiles, settings: settings.current },
      discoverTools: async (serverId, deadlineMs) => {
        const spec = await serverSpec(serverId);
        if (spec === null) return null;
        // The shared connection (no session): what a profile's clients would share.
        const supervisor = pool.get(spec);
        supervisor.retryNow();
        const outcome = await catalog.list('tools', spec, supervisor, deadlineMs);
        if (outcome.items === null) throw outcome.error;
        return outcome.items.length;
      },
      startBackground: async () => {
        stopRefresh ??= await oauth.tokens.startBackgroundRefresh();
        if (sweep === null) {
          sweep = expiredRecordsSweep({
            tables: [
              { table: 'oauth_server_records', removeExpired: () => app.oauthServerRecords.removeExpired() },
              { table: 'user_sessions', removeExpired: () => app.sessions.removeExpired() },
              { table: 'setup_links', removeExpired: () => app.setupLinks.removeExpired() },
              ...(mailbox === null ? [] : [{ table: 'mcp_instance_messages', removeExpired: () => mailbox.removeExpired() }]),
            ],
            intervalMs: app.config.expiredSweepIntervalSeconds * 1000,
            onRun: (removed) => log('info', 'expired records removed', { removed }),
            onError: (table, error) => log('warn', 'removing expired records failed', { table, error: String(error) }),
          });
          sweep.start();
        }
      },
    };
  } catch (error) {
    // Not started after all: what was opened for it is closed before the error goes up.
    await teardown().catch((closeError: unknown) => opened.observability?.log('warn', 'a gateway that did not start was not closed cleanly', { error: String(closeError) }));
    throw error;
  }
};
