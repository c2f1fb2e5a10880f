import { Subject, type Observable } from 'rxjs';
import type { ListKinds } from './session-registry';
import type { CredentialDirectory } from './credential-directory';
import { isResendable, UpstreamError } from '../upstream';
import type {
  McpElicitationParams, McpElicitationResult, McpLoggingMessage, McpResourceUpdated, McpRootsResult, McpSamplingParams,
  McpSamplingResult, UpstreamConnection, UpstreamPool, UpstreamRequestContext, UpstreamRequestOptions, UpstreamSpec,
} from '../upstream';

/** Something an upstream told the gateway on its own initiative. */
export type UpstreamNotice = Readonly<
  | { serverId: string; kind: 'tools_changed' | 'prompts_changed' | 'resources_changed' }
  /** `userId`: it came on that user's own connection (a per-user server) and concerns only that user's sessions. */
  | { serverId: string; kind: 'resource_updated'; params: McpResourceUpdated; userId?: string | null }
  /** Logging goes to one session only (see `pick`): log lines can carry another client's data. */
  | { serverId: string; kind: 'log'; params: McpLoggingMessage; sessionId: string | null; related: RelatedRequest }
>;

/** Whether a notice may reach `peer`: one of a user's own connection reaches only that user's sessions. */
export const noticeConcerns = (notice: UpstreamNotice, peer: Pick<ClientPeer, 'userId'>): boolean =>
  notice.kind !== 'resource_updated' || notice.userId === undefined || notice.userId === peer.userId;

/** How many times one request is sent again after its connection was replaced before it was sent. */
const MAX_RESENDS = 2;

/** The downstream request an upstream's message most likely belongs to (see UpstreamHub). */
export type RelatedRequest = string | number | undefined;

/** A downstream session, as far as server→client requests are concerned. */
export interface ClientPeer {
  readonly sessionId: string;
  /**
   * The user behind the session (an API key's owner, an OAuth grant's account); null for the
   * admin's keys, open profiles and stdio. Per-user servers are reached with this user's
   * credentials, on connections no other user's session shares.
   */
  readonly userId: string | null;
  createMessage(params: McpSamplingParams, signal: AbortSignal, related: RelatedRequest): Promise<McpSamplingResult>;
  elicit(params: McpElicitationParams, signal: AbortSignal, related: RelatedRequest): Promise<McpElicitationResult>;
  listRoots(signal: AbortSignal, related: RelatedRequest): Promise<McpRootsResult>;
  /** Tells the client that what its session lists may have changed. */
  listsChanged(kinds: ListKinds): void;
  /**
   * True when each request of this peer is a conversation of its own (the stateless 2026
   * requests of one key, possibly from several clients): a question must then reach the one
   * request it belongs to, not merely this peer. A 2025 session answers its questions itself,
   * whichever of its requests one is related to.
   */
  readonly requestsStandAlone?: boolean;
}

/**
 * `requests`: one entry per request of the peer in flight to the server, oldest first: the
 * downstream request id, or undefined when it is not known. `asking`: one entry per question of
 * the server this hub handed to the peer and the peer has not answered yet, by the request it was
 * placed with.
 */
type PeerUse = { peer: ClientPeer; lastUsed: number; requests: RelatedRequest[]; asking: RelatedRequest[] };

/** A call that may have asked a question: `held` when a question of its is with its client, unanswered. */
type Asker = Readonly<{ peer: ClientPeer; related: RelatedRequest; held: boolean }>;

type Picked = Readonly<{ peer: ClientPeer; related: RelatedRequest }>;

/** A request in flight, under the name its upstream request carries (`UpstreamRequestOptions.call`). */
type Call = Readonly<{ peer: ClientPeer; requestId: RelatedRequest }>;

/** What `begin` gives the caller: the name to send the upstream request with, and the end of the mark. */
export type CallMark = Readonly<{ call: string; done: () => void }>;

/**
 * The calls of one peer a question may be from: each stateless request on its own, held when a
 * question placed with it is unanswered; a 2025 session as one (it answers on whichever stream),
 * held when every call of it has a question unanswered, related to its newest call that has none.
 */
const askersOf = (use: PeerUse): Asker[] => {
  const held = (request: RelatedRequest): boolean => use.asking.includes(request);
  if (use.peer.requestsStandAlone) return use.requests.map((request) => ({ peer: use.peer, related: request, held: held(request) }));
  const newestFree = [...use.requests].reverse().find((request) => !held(request));
  return [{ peer: use.peer, related: newestFree ?? use.requests.at(-1), held: use.asking.length >= use.requests.length }];
};

export class NoClientError extends Error {
  override readonly name = 'NoClientError';
}

/** A question the upstream did not say the call of, while calls of several clients (or stateless requests) wait on it. */
export class AmbiguousQuestionError extends Error {
  override readonly name = 'AmbiguousQuestionError';
}

/**
 * Sits between the upstream pool and the downstream sessions. A shared upstream connection has
 * one set of handlers, so its notices are published once here and every session picks what
 * concerns its profile.
 *
 * A server→client request (sampling, elicitation, roots) goes to the request it was asked during
 * when the upstream said so: a Streamable HTTP upstream sends it on the answer stream of that
 * call, and every call goes upstream named by its mark (`begin`). Otherwise (stdio, legacy SSE,
 * or the session's GET stream) the 2025 protocol does not say which call it is for: with calls
 * of one client in flight to that server it goes to that client, related to its newest request
 * (a 2025 session answers on whichever stream); with none in flight, to the session that used
 * the server last; with calls of several clients in flight, or several stateless requests
 * (each its own conversation), it is refused rather than handed to a call it may not belong
 * to. A connection of one session's own (isolation per_session) asks only that session.
 *
 * A call whose question is with its client, unanswered, is held: its upstream handler is waiting
 * for that answer, so it is not counted among the calls a new question may be from when any
 * other call could be (a 2026 client that got an InputRequiredResult and never came back leaves
 * such a call until its hold expires; the next client's question is still its own). Only when
 * every waiting call is held does a held one count, so a call that asks two things at once still
 * gets both.
 */
export class UpstreamHub {
  private readonly notices = new Subject<UpstreamNotice>();
  readonly notices$: Observable<UpstreamNotice> = this.notices.asObservable();
  private readonly peers = new Map<string, Map<string, PeerUse>>();
  private readonly wired = new WeakSet<UpstreamConnection>();
  /** Which downstream sessions hold each upstream resource subscription, per connection. */
  private readonly subscribers = new Map<UpstreamConnection, Map<string, Set<string>>>();
  /** The requests in flight, by the name their upstream request carries. */
  private readonly calls = new Map<string, Call>();
  private issuedCalls = 0;

  constructor(
    readonly pool: UpstreamPool,
    private readonly credentials?: CredentialDirectory,
  ) {}

  /**
   * The connection for `spec` on behalf of `peer`, with the hub's handlers installed. A
   * per-user server is reached with the peer's user's own credentials, on that user's own
   * connection; a peer with no user, or whose user has none for it, gets UPSTREAM_NO_CREDENTIALS.
   */
  connection(spec: UpstreamSpec, peer: ClientPeer): UpstreamConnection {
    const perUser = spec.credentials === 'per_user';
    const target = perUser ? this.userSpec(spec, peer.userId) : spec;
    const connection = this.pool.get(target, peer.sessionId, peer.userId);
    this.use(spec.id, peer);
    if (!this.wired.has(connection)) {
      this.wired.add(connection);
      // A connection of one session's own (isolation per_session) asks only that session; one of
      // a user's own asks only that user's sessions.
      connection.setHandlers(this.handlersFor(spec.id, this.pool.isPerSession(spec) ? peer : undefined, perUser ? peer.userId : undefined));
    }
    return connection;
  }

  /**
   * Runs `request` on the connection for `spec` on behalf of `peer` (see `connection`). A user's
   * connection closed to be replaced (their credentials changed) while the request waited for it
   * to connect fails it unsent and resendable: it is then run on the new connection, with the
   * user's credentials as they are now, at most MAX_RESENDS times (credentials that keep
   * changing fail it rather than loop). A request that was sent is never sent again: a tools/call
   * need not be idempotent. Nor is one failed by the gateway's shutdown.
   */
  async request<T>(spec: UpstreamSpec, peer: ClientPeer, request: (connection: UpstreamConnection) => Promise<T>): Promise<T> {
    for (let resends = 0; ; resends++) {
      try {
        return await request(this.connection(spec, peer));
      } catch (error) {
        if (resends >= MAX_RESENDS || !isResendable(error)) throw error;
      }
    }
  }

  private userSpec(spec: UpstreamSpec, userId: string | null): UpstreamSpec {
    if (this.credentials === undefined) throw new UpstreamError('UPSTREAM_NO_CREDENTIALS', spec, 'it takes each user\'s own credentials, and this process keeps none');
    return this.credentials.specFor(spec, userId);
  }

  /**
   * Marks a request of `peer` to `serverId` in flight until `done` is called; `requestId` is the
   * downstream request it serves. The upstream request goes with `call` as its name, so a
   * question asked during it can be told apart from the questions of other calls.
   */
  begin(serverId: string, peer: ClientPeer, requestId?: string | number): CallMark {
    const use = this.use(serverId, peer);
    use.requests.push(requestId);
    const call = `call-${++this.issuedCalls}`;
    this.calls.set(call, { peer, requestId });
    return {
      call,
      done: () => {
        this.calls.delete(call);
        use.lastUsed = Date.now();
        const index = use.requests.indexOf(requestId);
        if (index >= 0) use.requests.splice(index, 1);
      },
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
        // Best effort: an upstream that cannot be told (gone, or closing) keeps at most a subscription nobody reads.
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
      use = { peer, lastUsed: Date.now(), requests: [], asking: [] };
      uses.set(peer.sessionId, use);
    }
    use.lastUsed = Date.now();
    return use;
  }

  /** A log line goes to the most likely session (the newest busy one): it answers nothing, so a guess is all it needs. */
  /** The sessions that used the server, only `user`'s when the connection is that user's own. */
  private usesOf(serverId: string, user: string | null | undefined): PeerUse[] {
    const uses = [...(this.peers.get(serverId)?.values() ?? [])];
    return user === undefined ? uses : uses.filter((use) => use.peer.userId === user);
  }

  private pickForLog(serverId: string, owner: ClientPeer | undefined, user: string | null | undefined): { sessionId: string | null; related: RelatedRequest } {
    if (owner !== undefined) return { sessionId: owner.sessionId, related: this.peers.get(serverId)?.get(owner.sessionId)?.requests.at(-1) };
    const uses = this.usesOf(serverId, user);
    const busy = uses.filter((use) => use.requests.length > 0);
    const [chosen] = (busy.length > 0 ? busy : uses).sort((a, b) => b.lastUsed - a.lastUsed);
    return chosen === undefined ? { sessionId: null, related: undefined } : { sessionId: chosen.peer.sessionId, related: chosen.requests.at(-1) };
  }

  /** Who answers a question of the upstream of `serverId`, asked during the request named `call` when known (see the class comment). */
  private pick(serverId: string, owner: ClientPeer | undefined, user: string | null | undefined, call: string | undefined, method: string): Picked {
    const named = call === undefined ? undefined : this.calls.get(call);
    if (named !== undefined && (owner === undefined || named.peer === owner) && (user === undefined || named.peer.userId === user)) return { peer: named.peer, related: named.requestId };
    const mine = owner === undefined ? undefined : this.peers.get(serverId)?.get(owner.sessionId);
    const uses = owner === undefined ? this.usesOf(serverId, user) : mine === undefined ? [] : [mine];
    const busy = uses.filter((use) => use.requests.length > 0);
    if (busy.length === 0) {
      if (owner !== undefined) return { peer: owner, related: undefined };
      const [last] = uses.sort((a, b) => b.lastUsed - a.lastUsed);
      if (last === undefined) throw new NoClientError('no downstream client is connected to answer this request');
      return { peer: last.peer, related: undefined };
    }
    const askers = busy.flatMap(askersOf);
    const free = askers.filter((asker) => !asker.held);
    const candidates = free.length > 0 ? free : askers;
    if (candidates.length > 1) {
      throw new AmbiguousQuestionError(
        `${method}: the upstream did not say which call this is for (over stdio and SSE nothing does) and ${candidates.length} calls of different clients are waiting on it; refused rather than asked of the wrong one`,
      );
    }
    const [only] = candidates;
    return { peer: only.peer, related: only.related };
  }

  /** Marks the question `answer` waits for as with `picked`'s client until it is answered (or fails). */
  private handedTo<T>(serverId: string, picked: Picked, answer: Promise<T>): Promise<T> {
    const use = this.peers.get(serverId)?.get(picked.peer.sessionId);
    if (use === undefined) return answer;
    use.asking.push(picked.related);
    const answered = (): void => {
      const index = use.asking.indexOf(picked.related);
      if (index >= 0) use.asking.splice(index, 1);
    };
    answer.then(answered, answered);
    return answer;
  }

  /** Routes a question of the upstream of `serverId` (see `pick`) and keeps it counted until answered. */
  private ask<T>(serverId: string, owner: ClientPeer | undefined, user: string | null | undefined, call: string | undefined, method: string, put: (picked: Picked) => Promise<T>): Promise<T> {
    const picked = this.pick(serverId, owner, user, call, method);
    return this.handedTo(serverId, picked, put(picked));
  }

  /** `user`: the connection is that user's own (a per-user server), and only that user's sessions hear from it. */
  private handlersFor(serverId: string, owner: ClientPeer | undefined, user: string | null | undefined) {
    const publish = (notice: UpstreamNotice): void => this.notices.next(notice);
    return {
      onToolsListChanged: () => publish({ serverId, kind: 'tools_changed' }),
      onPromptsListChanged: () => publish({ serverId, kind: 'prompts_changed' }),
      onResourcesListChanged: () => publish({ serverId, kind: 'resources_changed' }),
      onResourceUpdated: (params: McpResourceUpdated) => publish({ serverId, kind: 'resource_updated', params, ...(user === undefined ? {} : { userId: user }) }),
      onLoggingMessage: (params: McpLoggingMessage) => publish({ serverId, kind: 'log', params, ...this.pickForLog(serverId, owner, user) }),
      onSamplingRequest: (params: McpSamplingParams, context: UpstreamRequestContext) =>
        this.ask(serverId, owner, user, context.call, 'sampling/createMessage', ({ peer, related }) => peer.createMessage(params, context.signal, related)),
      onElicitationRequest: (params: McpElicitationParams, context: UpstreamRequestContext) =>
        this.ask(serverId, owner, user, context.call, 'elicitation/create', ({ peer, related }) => peer.elicit(params, context.signal, related)),
      onRootsListRequest: (context: UpstreamRequestContext) =>
        this.ask(serverId, owner, user, context.call, 'roots/list', ({ peer, related }) => peer.listRoots(context.signal, related)),
    };
  }
}
