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
import type { Subscription } from 'rxjs';
import { ProfileProxy, type ProxyDependencies, type RoutedRequestOptions } from '../../infrastructure/proxy/profile-proxy';
import type { ClientPeer, RelatedRequest, UpstreamNotice } from '../../infrastructure/proxy/upstream-hub';
import type { TrafficRecorder, TrafficTap } from '../../infrastructure/telemetry';
import type { McpElicitationParams, McpSamplingParams, UpstreamProgress } from '../../infrastructure/upstream';
import { toMcpError } from './errors';
import { setStrictHandler } from './strict-handler';

export const GATEWAY_INFO = { name: 'gatehouse', version: '0.1.0' };

type Extra = {
  signal: AbortSignal;
  requestId: string | number;
  sendNotification: (notification: { method: 'notifications/progress'; params: { progressToken: string | number } & UpstreamProgress }) => Promise<void>;
};
type WithMeta = { params?: { _meta?: { progressToken?: string | number } } };

export type ListKinds = Readonly<{ tools?: boolean; prompts?: boolean; resources?: boolean }>;

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
export class DownstreamSession implements ClientPeer {
  readonly server: Server;
  readonly proxy: ProfileProxy;
  lastActivity = Date.now();
  private readonly subscriptions = new Set<string>();
  private readonly noticeSubscription: Subscription;
  /** Times and records this session's traffic (metrics, debug logs). */
  private readonly tap: TrafficTap | undefined;
  private closed = false;

  constructor(
    readonly sessionId: string,
    readonly profileId: string,
    readonly slug: string,
    readonly keyId: string | null,
    private readonly deps: ProxyDependencies,
    private readonly onClosed: (session: DownstreamSession) => void,
    traffic?: TrafficRecorder,
  ) {
    this.proxy = new ProfileProxy(deps, profileId, this);
    this.tap = traffic?.tap({ sessionId, profileId, profile: () => deps.profile(profileId), clientName: () => this.server.getClientVersion()?.name ?? null });
    this.server = new Server(GATEWAY_INFO, {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        logging: {},
        completions: {},
      },
      instructions: `Gatehouse profile "${slug}": the tools, prompts and resources of its servers.`,
      jsonSchemaValidator: lazyValidator(),
    });
    this.installHandlers();
    this.noticeSubscription = deps.hub.notices$.subscribe((notice) => this.onNotice(notice));
    this.server.onclose = () => this.dispose();
  }

  async connect(transport: Transport): Promise<void> {
    this.tap?.attach(transport);
    await this.server.connect(transport);
  }

  /** Tells the client that what the profile exposes may have changed. */
  listsChanged(kinds: ListKinds): void {
    if (this.closed) return;
    if (kinds.tools) void this.server.sendToolListChanged().catch(() => undefined);
    if (kinds.prompts) void this.server.sendPromptListChanged().catch(() => undefined);
    if (kinds.resources) void this.server.sendResourceListChanged().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.server.close().catch(() => undefined);
    this.dispose();
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

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.noticeSubscription.unsubscribe();
    this.deps.hub.forget(this);
    this.onClosed(this);
  }

  private options(request: WithMeta, extra: Extra): RoutedRequestOptions {
    this.lastActivity = Date.now();
    const progressToken = request.params?._meta?.progressToken;
    return {
      signal: extra.signal,
      timeoutMs: this.deps.settings().requestTimeoutMs,
      onprogress:
        progressToken === undefined
          ? undefined
          : (progress) => void extra.sendNotification({ method: 'notifications/progress', params: { progressToken, ...progress } }).catch(() => undefined),
      onRoute: this.tap?.router(extra.requestId),
      downstreamRequestId: extra.requestId,
    };
  }

  /** Runs a handler and turns whatever it throws into the right JSON-RPC error. */
  private guard<T>(work: () => Promise<T>): Promise<T> {
    this.lastActivity = Date.now();
    return work().catch((error: unknown) => {
      throw toMcpError(error);
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
        return {};
      }),
    );
    setStrictHandler(s, UnsubscribeRequestSchema, (request, extra) =>
      this.guard(async () => {
        this.subscriptions.delete(request.params.uri);
        await this.proxy.subscribe(request.params.uri, false, this.options(request, extra as unknown as Extra));
        return {};
      }),
    );
    setStrictHandler(s, CompleteRequestSchema, (request, extra) => this.guard(() => this.proxy.complete(request.params, this.options(request, extra as unknown as Extra))));
    setStrictHandler(s, SetLevelRequestSchema, (request, extra) =>
      this.guard(async () => {
        await this.proxy.setLoggingLevel(request.params.level, this.options(request, extra as unknown as Extra));
        return {};
      }),
    );
    s.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      await Promise.allSettled(this.proxy.currentProfile().servers.map((spec) => this.deps.hub.connection(spec, this).notifyRootsListChanged()));
    });
  }

  private onNotice(notice: UpstreamNotice): void {
    if (this.closed) return;
    let serverIds: string[];
    try {
      serverIds = this.proxy.serverIds();
    } catch {
      return;
    }
    if (!serverIds.includes(notice.serverId)) return;
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
        if (this.subscriptions.has(notice.params.uri)) void this.server.sendResourceUpdated(notice.params).catch(() => undefined);
        return;
      case 'log':
        if (notice.sessionId !== this.sessionId) return;
        void this.server.notification({ method: 'notifications/message', params: notice.params }, { relatedRequestId: notice.related }).catch(() => undefined);
        return;
    }
  }
}
