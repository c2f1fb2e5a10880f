import { Subject, type Observable } from 'rxjs';
import type {
  McpElicitationParams, McpElicitationResult, McpLoggingMessage, McpResourceUpdated, McpRootsResult, McpSamplingParams,
  McpSamplingResult, UpstreamConnection, UpstreamPool, UpstreamRequestContext, UpstreamRequestOptions, UpstreamSpec,
} from '../upstream';

/** Something an upstream told the gateway on its own initiative. */
export type UpstreamNotice = Readonly<
  | { serverId: string; kind: 'tools_changed' | 'prompts_changed' | 'resources_changed' }
  | { serverId: string; kind: 'resource_updated'; params: McpResourceUpdated }
  /** Logging goes to one session only (see `pick`): log lines can carry another client's data. */
  | { serverId: string; kind: 'log'; params: McpLoggingMessage; sessionId: string | null }
>;

/** A downstream session, as far as server→client requests are concerned. */
export interface ClientPeer {
  readonly sessionId: string;
  createMessage(params: McpSamplingParams, signal: AbortSignal): Promise<McpSamplingResult>;
  elicit(params: McpElicitationParams, signal: AbortSignal): Promise<McpElicitationResult>;
  listRoots(signal: AbortSignal): Promise<McpRootsResult>;
}

type PeerUse = { peer: ClientPeer; inFlight: number; lastUsed: number };

export class NoClientError extends Error {
  override readonly name = 'NoClientError';
}

/**
 * Sits between the upstream pool and the downstream sessions. A shared upstream connection has
 * one set of handlers, so its notices are published once here and every session picks what
 * concerns its profile. A server→client request (sampling, elicitation, roots) goes to the
 * session that has a request in flight to that server (the most recent one), else to the
 * session that used the server last: the upstream protocol does not say which client a
 * callback is for, and this is the session that almost always caused it.
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
      connection.setHandlers(this.handlersFor(spec.id));
    }
    return connection;
  }

  /** Marks a request of `peer` to `serverId` in flight until the returned function is called. */
  begin(serverId: string, peer: ClientPeer): () => void {
    const use = this.use(serverId, peer);
    use.inFlight += 1;
    return () => {
      use.inFlight = Math.max(0, use.inFlight - 1);
      use.lastUsed = Date.now();
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
      use = { peer, inFlight: 0, lastUsed: Date.now() };
      uses.set(peer.sessionId, use);
    }
    use.lastUsed = Date.now();
    return use;
  }

  private pickSessionId(serverId: string): string | null {
    try {
      return this.pick(serverId).sessionId;
    } catch {
      return null;
    }
  }

  private pick(serverId: string): ClientPeer {
    const uses = [...(this.peers.get(serverId)?.values() ?? [])];
    const busy = uses.filter((use) => use.inFlight > 0);
    const candidates = busy.length > 0 ? busy : uses;
    candidates.sort((a, b) => b.lastUsed - a.lastUsed);
    if (candidates.length === 0) throw new NoClientError('no downstream client is connected to answer this request');
    return candidates[0].peer;
  }

  private handlersFor(serverId: string) {
    const publish = (notice: UpstreamNotice): void => this.notices.next(notice);
    return {
      onToolsListChanged: () => publish({ serverId, kind: 'tools_changed' }),
      onPromptsListChanged: () => publish({ serverId, kind: 'prompts_changed' }),
      onResourcesListChanged: () => publish({ serverId, kind: 'resources_changed' }),
      onResourceUpdated: (params: McpResourceUpdated) => publish({ serverId, kind: 'resource_updated', params }),
      onLoggingMessage: (params: McpLoggingMessage) => publish({ serverId, kind: 'log', params, sessionId: this.pickSessionId(serverId) }),
      onSamplingRequest: (params: McpSamplingParams, context: UpstreamRequestContext) => this.pick(serverId).createMessage(params, context.signal),
      onElicitationRequest: (params: McpElicitationParams, context: UpstreamRequestContext) => this.pick(serverId).elicit(params, context.signal),
      onRootsListRequest: (context: UpstreamRequestContext) => this.pick(serverId).listRoots(context.signal),
    };
  }
}
