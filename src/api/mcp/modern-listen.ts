/**
 * `subscriptions/listen` (MCP 2026-07-28): the one long-lived request of the stateless revision,
 * which replaces the GET stream and `resources/subscribe`. The stream opens with
 * `notifications/subscriptions/acknowledged` (what the gateway agreed to send), then carries the
 * list_changed notices of every upstream of the profile and of the profile's own configuration,
 * and `resources/updated` for the URIs the client named, each tagged with the listen request's
 * id. Only the kinds the client asked for are sent. The stream is registered with the session
 * registry so that a revoked key or a shutdown ends it like any session.
 */
import { assertNever } from '../../domain/shared';
import { randomUUID } from 'node:crypto';
import type { Caller } from './http-guards';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { Gateway } from '../../infrastructure/gateway';
import { EventStream, messageEvent } from '../../infrastructure/transports/streamable-http';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { ProfileProxy } from '../../infrastructure/proxy/profile-proxy';
import type { ListKinds, ProxySession } from '../../infrastructure/proxy/session-registry';
import { noticeConcerns, type ClientPeer, type UpstreamNotice } from '../../infrastructure/proxy/upstream-hub';
import { type Json, META, type ModernRequest, type RequestId } from './modern-request';

export type ListenFilter = Readonly<{ toolsListChanged?: boolean; promptsListChanged?: boolean; resourcesListChanged?: boolean; resourceSubscriptions?: readonly string[] }>;

const MAX_RESOURCE_SUBSCRIPTIONS = 100;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The client's filter, or a problem with it (answered -32602). */
export const parseFilter = (params: Json): ListenFilter | string => {
  const filter = params.notifications;
  if (!isObject(filter)) return 'params.notifications: expected an object';
  const out: { -readonly [K in keyof ListenFilter]: ListenFilter[K] } = {};
  for (const key of ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'] as const) {
    if (filter[key] === undefined) continue;
    if (typeof filter[key] !== 'boolean') return `params.notifications.${key}: expected a boolean`;
    if (filter[key]) out[key] = true;
  }
  const uris = filter.resourceSubscriptions;
  if (uris !== undefined) {
    if (!Array.isArray(uris) || !uris.every((uri) => typeof uri === 'string')) return 'params.notifications.resourceSubscriptions: expected an array of URIs';
    if (uris.length > MAX_RESOURCE_SUBSCRIPTIONS) return `params.notifications.resourceSubscriptions: at most ${MAX_RESOURCE_SUBSCRIPTIONS} URIs`;
    out.resourceSubscriptions = [...new Set(uris as string[])];
  }
  return out;
};

/** Which notification a notice becomes on a stream with `filter`, if any. */
export const notificationFor = (notice: UpstreamNotice, filter: ListenFilter): Json | undefined => {
  switch (notice.kind) {
    case 'tools_changed':
      return filter.toolsListChanged ? { method: 'notifications/tools/list_changed', params: {} } : undefined;
    case 'prompts_changed':
      return filter.promptsListChanged ? { method: 'notifications/prompts/list_changed', params: {} } : undefined;
    case 'resources_changed':
      return filter.resourcesListChanged ? { method: 'notifications/resources/list_changed', params: {} } : undefined;
    case 'resource_updated':
      return filter.resourceSubscriptions?.includes(notice.params.uri) ? { method: 'notifications/resources/updated', params: { uri: notice.params.uri } } : undefined;
    case 'log':
      // Logging is per request in 2026-07-28 (the logLevel _meta key), never on the listen stream.
      return undefined;
    default:
      return assertNever(notice);
  }
};

class ListenStream implements ClientPeer, ProxySession {
  readonly sessionId = `listen:${randomUUID()}`;
  readonly profileId: string;
  readonly slug: string;
  readonly expires = false;
  /** A listen stream ends with its connection: nothing of it is stored. */
  readonly recordId = null;
  lastActivity = Date.now();
  readonly proxy: ProfileProxy;
  private subscription?: Subscription;
  private stream?: EventStream;
  private closed = false;
  private subscribed: string[] = [];

  constructor(
    private readonly gateway: Gateway,
    private readonly res: ServerResponse,
    profile: ProxyProfile,
    readonly keyId: string | null,
    readonly userId: string | null,
    private readonly listenId: RequestId,
    private readonly filter: ListenFilter,
  ) {
    this.profileId = profile.id;
    this.slug = profile.slug;
    this.proxy = new ProfileProxy(gateway.proxy, profile.id, this);
  }

  async open(): Promise<void> {
    this.stream = new EventStream(this.res, undefined, undefined, () => void this.dispose());
    // A client gone before the stream opened: nothing to serve, and no 'close' still to come.
    if (!this.stream.isOpen) return this.dispose();
    this.gateway.sessions.add(this);
    this.subscription = this.gateway.proxy.hub.notices$.subscribe((notice) => {
      this.onNotice(notice).catch((error: unknown) => this.gateway.observability.log('warn', 'upstream notice not handled', { sessionId: this.sessionId, error: String(error) }));
    });
    const agreed: Json = { ...this.filter };
    if (this.filter.resourceSubscriptions !== undefined) agreed.resourceSubscriptions = await this.subscribeResources(this.filter.resourceSubscriptions);
    this.send({ method: 'notifications/subscriptions/acknowledged', params: { notifications: agreed } });
  }

  /** The URIs the upstreams accepted: one that no server of the profile has is left out of the agreement. */
  private async subscribeResources(uris: readonly string[]): Promise<string[]> {
    const timeoutMs = this.gateway.proxy.settings().requestTimeoutMs;
    const results = await Promise.allSettled(uris.map((uri) => this.proxy.subscribe(uri, true, { timeoutMs }).then(() => uri)));
    this.subscribed = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    return this.subscribed;
  }

  private send(notification: Json): void {
    if (this.closed) return;
    const params = (notification.params ?? {}) as Json;
    const meta = isObject(params._meta) ? params._meta : {};
    const message = { jsonrpc: '2.0', ...notification, params: { ...params, _meta: { ...meta, [META.subscriptionId]: this.listenId } } };
    this.stream?.write(messageEvent(message));
  }

  private async onNotice(notice: UpstreamNotice): Promise<void> {
    const notification = notificationFor(notice, { ...this.filter, resourceSubscriptions: this.subscribed });
    if (notification === undefined || this.closed || !noticeConcerns(notice, this)) return;
    const uses = await this.proxy.usesServer(notice.serverId).catch((error: unknown) => {
      this.gateway.observability.log('debug', 'notification not forwarded: the profile could not be read', { sessionId: this.sessionId, error: String(error) });
      return false;
    });
    if (uses) this.send(notification);
  }

  /** The profile's configuration changed what it exposes (the config follower calls this). */
  listsChanged(kinds: ListKinds): void {
    if (kinds.tools && this.filter.toolsListChanged) this.send({ method: 'notifications/tools/list_changed', params: {} });
    if (kinds.prompts && this.filter.promptsListChanged) this.send({ method: 'notifications/prompts/list_changed', params: {} });
    if (kinds.resources && this.filter.resourcesListChanged) this.send({ method: 'notifications/resources/list_changed', params: {} });
  }

  /** Ends the subscription gracefully: the listen request's result, then the end of the stream. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stream?.end(messageEvent({ jsonrpc: '2.0', id: this.listenId, result: { resultType: 'complete', _meta: { [META.subscriptionId]: this.listenId } } }));
    await this.dispose();
  }

  private async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscription?.unsubscribe();
    this.gateway.sessions.remove(this.sessionId);
    this.gateway.proxy.hub.forget(this);
    await this.gateway.pool.releaseSession(this.sessionId).catch((error: unknown) =>
      this.gateway.observability.log('warn', 'upstream connections of a closed listen stream not released', { sessionId: this.sessionId, error: String(error) }),
    );
  }

  private refuse(what: string): Promise<never> {
    return Promise.reject(new Error(`${what} cannot be sent on a subscriptions/listen stream`));
  }
  createMessage() {
    return this.refuse('sampling/createMessage');
  }
  elicit() {
    return this.refuse('elicitation/create');
  }
  listRoots() {
    return this.refuse('roots/list');
  }
}

/** Opens a listen stream for a validated 2026 request, or answers -32602 for a bad filter. */
export const openListenStream = async (gateway: Gateway, req: IncomingMessage, res: ServerResponse, profile: ProxyProfile, caller: Caller, request: ModernRequest): Promise<void> => {
  const filter = parseFilter(request.params);
  if (typeof filter === 'string') {
    const body = JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code: -32602, message: `Invalid params for subscriptions/listen: ${filter}` } });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
    return;
  }
  req.socket.setTimeout(0);
  await new ListenStream(gateway, res, profile, caller.keyId, caller.userId, request.id, filter).open();
};
