import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema, CompleteRequestSchema, GetPromptRequestSchema, ListPromptsRequestSchema,
  ListResourcesRequestSchema, ListResourceTemplatesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema,
  RootsListChangedNotificationSchema, SetLevelRequestSchema, SubscribeRequestSchema, UnsubscribeRequestSchema,
  type ElicitRequestFormParams,
} from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Subscription } from 'rxjs';
import { assertNever, errorMessage } from '../../domain/shared';
import type { Gateway } from '../../infrastructure/gateway';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { ProfileProxy, type ProxyDependencies, type RoutedRequestOptions } from '../../infrastructure/proxy/profile-proxy';
import type { ListKinds, ProxySession, SessionClose } from '../../infrastructure/proxy/session-registry';
import type { SessionStore, StoredSession } from '../../infrastructure/mcp-sessions';
import { noticeConcerns, type ClientPeer, type RelatedRequest, type UpstreamNotice } from '../../infrastructure/proxy/upstream-hub';
import type { TrafficTap } from '../../infrastructure/telemetry';
import type { McpElicitationParams, McpLoggingLevel, McpSamplingParams, UpstreamProgress } from '../../infrastructure/upstream';
import { toWireError } from './errors';
import { setStrictHandler } from './strict-handler';

export const GATEWAY_INFO = { name: 'gatehouse', version: '0.1.0' };

type Extra = {
  signal: AbortSignal;
  requestId: string | number;
  sendNotification: (notification: { method: 'notifications/progress'; params: { progressToken: string | number } & UpstreamProgress }) => Promise<void>;
};
type WithMeta = { params?: { _meta?: { progressToken?: string | number } } };

export type { ListKinds };

export type SessionStart = Readonly<{
  sessionId: string;
  profile: ProxyProfile;
  /** The API key that opened it (null: an open profile, or stdio). */
  keyId: string | null;
  /** The user behind it (see ClientPeer.userId); absent: none. */
  userId?: string | null;
  transport: Transport;
  /**
   * A session that outlives the process (Streamable HTTP): its stored record, written before
   * the client hears of the session, or read back to resume it here (`resumed`) after a restart
   * or on another instance. Without one the session ends with its process (stdio, legacy SSE).
   */
  persisted?: Readonly<{ store: SessionStore; record: StoredSession; resumed: boolean }>;
}>;

/** The id of the initialize request a resumed session replays to itself: no client sees its answer. */
const REPLAYED_INITIALIZE_ID = 'gatehouse:resumed-session-initialize';

/**
 * The SDK gives every Server its own Ajv instance (~18 KiB, a third of an idle session) to
 * check elicitation answers; this one builds it on the session's first elicitation instead.
 */
const lazyValidator = (): jsonSchemaValidator => {
  let validator: AjvJsonSchemaValidator | undefined;
  return { getValidator: (schema) => (validator ??= new AjvJsonSchemaValidator()).getValidator(schema) };
};

/**
 * One downstream MCP session: an SDK `Server` whose handlers delegate to the profile proxy,
 * plus the forwarding of upstream notices (logging, list_changed, resource updates) and of
 * server→client requests (sampling, elicitation, roots) to this client.
 */
export class DownstreamSession implements ClientPeer, ProxySession {
  readonly server: Server;
  readonly proxy: ProfileProxy;
  readonly profileId: string;
  readonly slug: string;
  /** A stdio session (`gatehouse stdio`) lives as long as its process: its client cannot reconnect. */
  readonly expires: boolean;
  /** Settles once the session is connected to its transport (and registered). */
  readonly opened: Promise<void>;
  lastActivity = Date.now();
  private readonly subscriptions = new Set<string>();
  private readonly noticeSubscription: Subscription;
  /** Times and records this session's traffic (metrics, debug logs). */
  private readonly tap: TrafficTap | undefined;
  private closed = false;
  /** How the session is being closed, once `close` was called (a DELETE closes it through the transport: 'end'). */
  private closing: SessionClose | undefined;
  private readonly persisted: SessionStart['persisted'];

  private constructor(
    gateway: Gateway,
    start: SessionStart,
    private readonly deps: ProxyDependencies = gateway.proxy,
  ) {
    const { sessionId, profile, transport } = start;
    this.sessionId = sessionId;
    this.keyId = start.keyId;
    this.userId = start.userId ?? null;
    this.transport = transport;
    this.profileId = profile.id;
    this.slug = profile.slug;
    this.expires = !(transport instanceof StdioServerTransport);
    this.persisted = start.persisted;
    this.recordId = start.persisted?.record.id ?? null;
    if (start.persisted?.resumed) for (const uri of start.persisted.record.subscriptions) this.subscriptions.add(uri);
    this.proxy = new ProfileProxy(deps, profile.id, this);
    this.proxy.lastSeen = profile;
    // The tap reads the profile a request was served with (slug, debug logging) when it answers.
    this.tap = gateway.observability.traffic.tap({ sessionId, profileId: profile.id, profile: () => this.proxy.lastSeen, clientName: () => this.server.getClientVersion()?.name ?? null });
    this.server = new Server(GATEWAY_INFO, {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        logging: {},
        completions: {},
      },
      instructions: `Gatehouse profile "${profile.slug}": the tools, prompts and resources of its servers.`,
      jsonSchemaValidator: lazyValidator(),
    });
    this.installHandlers();
    this.noticeSubscription = deps.hub.notices$.subscribe((notice) => {
      this.onNotice(notice).catch((error: unknown) => this.log('warn', 'upstream notice not handled', { sessionId: this.sessionId, error: String(error) }));
    });
    this.server.onclose = () => this.dispose(gateway);
    this.log = gateway.observability.log;
    gateway.sessions.add(this);
    this.opened = this.connect(transport);
  }

  readonly recordId: string | null;
  readonly sessionId: string;
  readonly keyId: string | null;
  readonly userId: string | null;
  readonly transport: Transport;
  private readonly log: Gateway['observability']['log'];

  /** A session of `start.profile` on `start.transport`, registered with the gateway; await `opened`. */
  static open(gateway: Gateway, start: SessionStart): DownstreamSession {
    return new DownstreamSession(gateway, start);
  }

  /** Any request is activity, pings and notifications included: idle expiry is for silent clients. */
  touch(): void {
    this.lastActivity = Date.now();
  }

  /** Tells the client that what the profile exposes may have changed. */
  listsChanged(kinds: ListKinds): void {
    if (this.closed) return;
    if (kinds.tools) this.tell('tools list_changed', this.server.sendToolListChanged());
    if (kinds.prompts) this.tell('prompts list_changed', this.server.sendPromptListChanged());
    if (kinds.resources) this.tell('resources list_changed', this.server.sendResourceListChanged());
  }

  async close(how: SessionClose = 'end'): Promise<void> {
    if (this.closed) return;
    this.closing ??= how;
    // Closing tells the client when it can still be told; a transport already gone has nothing to say.
    await this.server.close().catch((error: unknown) => this.dropped('close', error));
    this.server.onclose?.();
  }

  createMessage(params: McpSamplingParams, signal: AbortSignal, related: RelatedRequest) {
    return this.server.createMessage(params, { signal, relatedRequestId: related });
  }

  elicit(params: McpElicitationParams, signal: AbortSignal, related: RelatedRequest) {
    return this.server.elicitInput(params as ElicitRequestFormParams, { signal, relatedRequestId: related });
  }

  listRoots(signal: AbortSignal, related: RelatedRequest) {
    return this.server.listRoots(undefined, { signal, relatedRequestId: related });
  }

  /** Sends what the client need not answer; one that cannot be delivered (its client gone) is logged, not thrown. */
  private tell(what: string, sending: Promise<void>): void {
    void sending.catch((error: unknown) => this.dropped(what, error));
  }

  private dropped(what: string, error: unknown): void {
    this.log('debug', `${what} not delivered to the client`, { sessionId: this.sessionId, error: errorMessage(error) });
  }

  private async connect(transport: Transport): Promise<void> {
    const persisted = this.persisted;
    if (!persisted?.resumed) {
      this.tap?.attach(transport);
      await this.server.connect(transport);
      return;
    }
    await this.server.connect(transport);
    await this.replayInitialize(transport, persisted.record);
    // Attached after the replay, so that the traffic log shows only what the client sent.
    this.tap?.attach(transport);
    await this.restoreUpstreamState(persisted.record);
  }

  /**
   * The SDK's Server keeps what the client said at initialize (capabilities, client info) and
   * has no way to be told it but an initialize request: a resumed session hands it the one its
   * client sent, and the transport drops the answer (no POST waits for its id).
   */
  private async replayInitialize(transport: Transport, record: StoredSession): Promise<void> {
    transport.onmessage?.({ jsonrpc: '2.0', id: REPLAYED_INITIALIZE_ID, method: 'initialize', params: { ...record.initialize } });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * What the client set on the upstreams through this session, set again on the connections
   * this process opens for it (lazily: only the servers the client has a level or a
   * subscription on are connected now). The level is waited for (bounded by the connect
   * timeout), so that the first request after a restart is not logged at the wrong level;
   * subscriptions are renewed in the background.
   */
  private async restoreUpstreamState(record: StoredSession): Promise<void> {
    const options = { timeoutMs: this.deps.settings().requestTimeoutMs };
    for (const uri of record.subscriptions) {
      this.proxy.subscribe(uri, true, options).catch((error: unknown) => this.log('warn', 'resource subscription not renewed', { sessionId: this.sessionId, uri, error: String(error) }));
    }
    if (record.logLevel === null) return;
    await this.proxy
      .setLoggingLevel(record.logLevel as McpLoggingLevel, options)
      .catch((error: unknown) => this.log('warn', 'log level not renewed', { sessionId: this.sessionId, error: String(error) }));
  }

  /** Writes what the client changed to the session's record; a failure is logged: the change holds in this process. */
  private async remember(what: string, write: (store: SessionStore, id: string) => Promise<void>): Promise<void> {
    if (!this.persisted) return;
    await write(this.persisted.store, this.persisted.record.id).catch((error: unknown) => this.log('warn', `session ${what} not stored`, { sessionId: this.sessionId, error: String(error) }));
  }

  private dispose(gateway: Gateway): void {
    if (this.closed) return;
    this.closed = true;
    const how = this.closing ?? 'end';
    if (this.persisted && how !== 'suspend') {
      const { store, record } = this.persisted;
      store.end(record.id, how === 'idle' ? this.lastActivity : undefined).catch((error: unknown) =>
        gateway.observability.log('warn', 'ended session not removed from the store', { sessionId: this.sessionId, error: String(error) }),
      );
    }
    this.noticeSubscription.unsubscribe();
    this.deps.hub.forget(this);
    gateway.sessions.remove(this.sessionId);
    gateway.pool.releaseSession(this.sessionId).catch((error: unknown) =>
      gateway.observability.log('warn', 'upstream connections of a closed session not released', { sessionId: this.sessionId, error: String(error) }),
    );
  }

  private options(request: WithMeta, extra: Extra): RoutedRequestOptions {
    this.touch();
    const progressToken = request.params?._meta?.progressToken;
    return {
      signal: extra.signal,
      timeoutMs: this.deps.settings().requestTimeoutMs,
      onprogress:
        progressToken === undefined
          ? undefined
          : (progress) => this.tell('progress', extra.sendNotification({ method: 'notifications/progress', params: { progressToken, ...progress } })),
      onRoute: this.tap?.router(extra.requestId),
      downstreamRequestId: extra.requestId,
      client: { capabilities: this.server.getClientCapabilities(), info: this.server.getClientVersion() },
    };
  }

  /** Runs a handler and turns whatever it throws into the right JSON-RPC error. */
  private guard<T>(work: () => Promise<T>): Promise<T> {
    this.touch();
    return work().catch((error: unknown) => {
      throw toWireError(error);
    });
  }

  private installHandlers(): void {
    const s = this.server;
    setStrictHandler(s, ListToolsRequestSchema, () => this.guard(async () => ({ tools: await this.proxy.listTools() })));
    setStrictHandler(s, CallToolRequestSchema, (request, extra) => this.guard(() => this.proxy.callTool(request.params, this.options(request, extra as unknown as Extra))));
    setStrictHandler(s, ListPromptsRequestSchema, () => this.guard(async () => ({ prompts: await this.proxy.listPrompts() })));
    setStrictHandler(s, GetPromptRequestSchema, (request, extra) => this.guard(() => this.proxy.getPrompt(request.params, this.options(request, extra as unknown as Extra))));
    setStrictHandler(s, ListResourcesRequestSchema, () => this.guard(async () => ({ resources: await this.proxy.listResources() })));
    setStrictHandler(s, ListResourceTemplatesRequestSchema, () => this.guard(async () => ({ resourceTemplates: await this.proxy.listResourceTemplates() })));
    setStrictHandler(s, ReadResourceRequestSchema, (request, extra) => this.guard(() => this.proxy.readResource(request.params.uri, this.options(request, extra as unknown as Extra))));
    setStrictHandler(s, SubscribeRequestSchema, (request, extra) =>
      this.guard(async () => {
        await this.proxy.subscribe(request.params.uri, true, this.options(request, extra as unknown as Extra));
        this.subscriptions.add(request.params.uri);
        await this.remember('subscriptions', (store, id) => store.setSubscriptions(id, [...this.subscriptions]));
        return {};
      }),
    );
    setStrictHandler(s, UnsubscribeRequestSchema, (request, extra) =>
      this.guard(async () => {
        this.subscriptions.delete(request.params.uri);
        await this.remember('subscriptions', (store, id) => store.setSubscriptions(id, [...this.subscriptions]));
        await this.proxy.subscribe(request.params.uri, false, this.options(request, extra as unknown as Extra));
        return {};
      }),
    );
    setStrictHandler(s, CompleteRequestSchema, (request, extra) => this.guard(() => this.proxy.complete(request.params, this.options(request, extra as unknown as Extra))));
    setStrictHandler(s, SetLevelRequestSchema, (request, extra) =>
      this.guard(async () => {
        await this.proxy.setLoggingLevel(request.params.level, this.options(request, extra as unknown as Extra));
        await this.remember('log level', (store, id) => store.setLogLevel(id, request.params.level));
        return {};
      }),
    );
    s.setNotificationHandler(RootsListChangedNotificationSchema, () =>
      this.proxy.rootsChanged().catch((error: unknown) => this.log('debug', 'roots list_changed not forwarded', { sessionId: this.sessionId, error: String(error) })),
    );
  }

  private async onNotice(notice: UpstreamNotice): Promise<void> {
    if (this.closed) return;
    if ((notice.kind === 'log' && notice.sessionId !== this.sessionId) || !noticeConcerns(notice, this)) return;
    if (!(await this.proxy.usesServer(notice.serverId)) || this.closed) return;
    switch (notice.kind) {
      case 'tools_changed':
        this.listsChanged({ tools: true });
        return;
      case 'prompts_changed':
        this.listsChanged({ prompts: true });
        return;
      case 'resources_changed':
        this.listsChanged({ resources: true });
        return;
      case 'resource_updated':
        if (this.subscriptions.has(notice.params.uri)) this.tell('resources/updated', this.server.sendResourceUpdated(notice.params));
        return;
      case 'log':
        this.tell('log message', this.server.notification({ method: 'notifications/message', params: notice.params }, { relatedRequestId: notice.related }));
        return;
      default:
        assertNever(notice);
    }
  }
}
