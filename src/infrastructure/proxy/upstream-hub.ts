import { Subject, type Observable } from 'rxjs';
import type { ListKinds } from './session-registry';
import type {
  McpElicitationParams, McpElicitationResult, McpLoggingMessage, McpResourceUpdated, McpRootsResult, McpSamplingParams,
  McpSamplingResult, UpstreamConnection, UpstreamPool, UpstreamRequestContext, UpstreamRequestOptions, UpstreamSpec,
} from '../upstream';

/** Something an upstream told the gateway on its own initiative. */
export type UpstreamNotice = Readonly<
  | { serverId: string; kind: 'tools_changed' | 'prompts_changed' | 'resources_changed' }
  | { serverId: string; kind: 'resource_updated'; params: McpResourceUpdated }
  /** Logging goes to one session only (see `pick`): log lines can carry another client's data. */
  | { serverId: string; kind: 'log'; params: McpLoggingMessage; sessionId: string | null; related: RelatedRequest }
>;

/** The downstream request an upstream's message most likely belongs to (see UpstreamHub). */
export type RelatedRequest = string | number | undefined;

/** A downstream session, as far as server→client requests are concerned. */
export interface ClientPeer {
  readonly sessionId: string;
  createMessage(params: McpSamplingParams, signal: AbortSignal, related: RelatedRequest): Promise<McpSamplingResult>;
  elicit(params: McpElicitationParams, signal: AbortSignal, related: RelatedRequest): Promise<McpElicitationResult>;
  listRoots(signal: AbortSignal, related: RelatedRequest): Promise<McpRootsResult>;
  /** Tells the client that what its session lists may have changed. */
  listsChanged(kinds: ListKinds): void;
}

/**
 * `requests`: one entry per request of the peer in flight to the server, oldest first: the
 * downstream request id, or undefined when it is not known.
 */
type PeerUse = { peer: ClientPeer; lastUsed: number; requests: RelatedRequest[] };

type Picked = Readonly<{ peer: ClientPeer; related: RelatedRequest }>;

export class NoClientError extends Error {
  override readonly name = 'NoClientError';
}

/**
 * Sits between the upstream pool and the downstream sessions. A shared upstream connection has
 * one set of handlers, so its notices are published once here and every session picks what
 * concerns its profile. A server→client request (sampling, elicitation, roots) goes to the
 * session that has a request in flight to that server (the most recent one), else to the
 * session that used the server last: the upstream protocol does not say which client a
 * callback is for, and this is the session that almost always caused it (a connection of one
 * session's own, with isolation per_session, asks only that session). Within that session
 * it is related to the newest of its requests still in flight to that server, so a Streamable
 * HTTP client hears it on that request's stream (it needs no GET stream for it).
 */
export class UpstreamHub {
  private readonly notices = new Subject<UpstreamNotice>();
  readonly notices$: Observable<UpstreamNotice> = this.notices.asObservable();
  private readonly peers = new Map<string, Map<string, PeerUse>>();
  private readonly wired = new WeakSet<UpstreamConnection>();
  /** Which downstream sessions hold each upstream resource subscription, per connection. */
  private readonly subscribers = new Map<UpstreamConnection, Map<string, Set<string>>>();

  constructor(readonly pool: UpstreamPool) {}

  /** The connection for `spec` on behalf of `peer`, with the hub's handlers installed. */
  connection(spec: UpstreamSpec, peer: ClientPeer): UpstreamConnection {
    const connection = this.pool.get(spec, peer.sessionId);
    this.use(spec.id, peer);
    if (!this.wired.has(connection)) {
      this.wired.add(connection);
      // A connection of one session's own (isolation per_session) asks only that session.
      connection.setHandlers(this.handlersFor(spec.id, this.pool.isPerSession(spec) ? peer : undefined));
    }
    return connection;
  }

  /**
   * Marks a request of `peer` to `serverId` in flight until the returned function is called;
   * `requestId` is the downstream request it serves.
   */
  begin(serverId: string, peer: ClientPeer, requestId?: string | number): () => void {
    const use = this.use(serverId, peer);
    use.requests.push(requestId);
    return () => {
      use.lastUsed = Date.now();
      const index = use.requests.indexOf(requestId);
      if (index >= 0) use.requests.splice(index, 1);
    };
  }

  /**
   * Subscribes `peer` to `uri` on a connection that other sessions may share: the upstream
   * hears one subscribe for the first holder and one unsubscribe when the last lets go, so one
   * session unsubscribing does not silence the others.
   */
  async subscribe(connection: UpstreamConnection, uri: string, peer: ClientPeer, options: UpstreamRequestOptions): Promise<void> {
    let byUri = this.subscribers.get(connection);
    if (!byUri) {
      byUri = new Map();
      this.subscribers.set(connection, byUri);
    }
    const holders = byUri.get(uri) ?? new Set<string>();
    byUri.set(uri, holders);
    const first = holders.size === 0;
    holders.add(peer.sessionId);
    if (!first) return;
    try {
      await connection.subscribe(uri, options);
    } catch (error) {
      this.release(connection, uri, peer.sessionId);
      throw error;
    }
  }

  async unsubscribe(connection: UpstreamConnection, uri: string, peer: ClientPeer, options: UpstreamRequestOptions): Promise<void> {
    if (this.release(connection, uri, peer.sessionId)) await connection.unsubscribe(uri, options);
  }

  /** Forgets a closed session: its in-flight marks and the upstream subscriptions only it held. */
  forget(peer: ClientPeer): void {
    for (const uses of this.peers.values()) uses.delete(peer.sessionId);
    for (const [connection, byUri] of this.subscribers) {
      for (const uri of [...byUri.keys()]) {
        if (this.release(connection, uri, peer.sessionId)) void connection.unsubscribe(uri).catch(() => undefined);
      }
    }
  }

  /** Drops one holder; true when it was the last one (the upstream should be unsubscribed). */
  private release(connection: UpstreamConnection, uri: string, sessionId: string): boolean {
    const byUri = this.subscribers.get(connection);
    const holders = byUri?.get(uri);
    if (!byUri || !holders?.delete(sessionId) || holders.size > 0) return false;
    byUri.delete(uri);
    if (byUri.size === 0) this.subscribers.delete(connection);
    return true;
  }

  private use(serverId: string, peer: ClientPeer): PeerUse {
    let uses = this.peers.get(serverId);
    if (!uses) {
      uses = new Map();
      this.peers.set(serverId, uses);
    }
    let use = uses.get(peer.sessionId);
    if (!use) {
      use = { peer, lastUsed: Date.now(), requests: [] };
      uses.set(peer.sessionId, use);
    }
    use.lastUsed = Date.now();
    return use;
  }

  private pickForLog(serverId: string, owner: ClientPeer | undefined): { sessionId: string | null; related: RelatedRequest } {
    try {
      const { peer, related } = this.pick(serverId, owner);
      return { sessionId: peer.sessionId, related };
    } catch {
      return { sessionId: null, related: undefined };
    }
  }

  private pick(serverId: string, owner?: ClientPeer): Picked {
    if (owner !== undefined) return { peer: owner, related: this.peers.get(serverId)?.get(owner.sessionId)?.requests.at(-1) };
    const uses = [...(this.peers.get(serverId)?.values() ?? [])];
    const busy = uses.filter((use) => use.requests.length > 0);
    const candidates = busy.length > 0 ? busy : uses;
    candidates.sort((a, b) => b.lastUsed - a.lastUsed);
    if (candidates.length === 0) throw new NoClientError('no downstream client is connected to answer this request');
    const [chosen] = candidates;
    return { peer: chosen.peer, related: chosen.requests.at(-1) };
  }

  private handlersFor(serverId: string, owner: ClientPeer | undefined) {
    const publish = (notice: UpstreamNotice): void => this.notices.next(notice);
    return {
      onToolsListChanged: () => publish({ serverId, kind: 'tools_changed' }),
      onPromptsListChanged: () => publish({ serverId, kind: 'prompts_changed' }),
      onResourcesListChanged: () => publish({ serverId, kind: 'resources_changed' }),
      onResourceUpdated: (params: McpResourceUpdated) => publish({ serverId, kind: 'resource_updated', params }),
      onLoggingMessage: (params: McpLoggingMessage) => publish({ serverId, kind: 'log', params, ...this.pickForLog(serverId, owner) }),
      onSamplingRequest: (params: McpSamplingParams, context: UpstreamRequestContext) => {
        const { peer, related } = this.pick(serverId, owner);
        return peer.createMessage(params, context.signal, related);
      },
      onElicitationRequest: (params: McpElicitationParams, context: UpstreamRequestContext) => {
        const { peer, related } = this.pick(serverId, owner);
        return peer.elicit(params, context.signal, related);
      },
      onRootsListRequest: (context: UpstreamRequestContext) => {
        const { peer, related } = this.pick(serverId, owner);
        return peer.listRoots(context.signal, related);
      },
    };
  }
}
