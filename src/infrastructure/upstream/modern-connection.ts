import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Client as ModernClient, type ClientCapabilities as ModernCapabilities, type DiscoverResult, type FetchLike, type McpSubscription, ProtocolError,
  type StandardSchemaV1, StreamableHTTPClientTransport as ModernHttpTransport, type Transport as ModernTransport, withInputRequired,
} from '@modelcontextprotocol/client';
import type { AnyObjectSchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { authorizedFetch } from './authorized-fetch';
import { UpstreamConnectionBase, type RequestParams } from './connection-base';
import { toUpstreamError, UpstreamError } from './errors';
import { asV1Error } from './modern-errors';
import { allowlistedFetch, isHostAllowed } from './host-allowlist';
import { HEADERS_TIMEOUT_MS, nodeFetch, type NodeFetch } from '../transports/streamable-http';
import { upstreamHeaders, upstreamUrl } from './http-transports';
import { onAbort } from './request-signals';
import type { SdkConnectionOptions } from './sdk-connection';
import type { ProcessGroupStdioTransport } from './stdio-transport';
import type {
  McpElicitationParams, McpImplementation, McpSamplingParams, McpServerCapabilities, UpstreamHandlers, UpstreamRequestOptions, UpstreamSpec,
} from './types';
import { errorMessage } from '../../domain/shared';

/**
 * A `server/discover` not answered within its window: still open, so that a slow 2026 server's
 * answer counts when it comes (see owned-connection.ts).
 */
export type LateDiscovery = Readonly<{ answer: Promise<ModernUpstreamConnection | undefined>; cancel: () => void }>;

/** The stateless revision the gateway speaks to upstreams that offer it. */
export const MODERN_UPSTREAM_VERSION = '2026-07-28';

const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';

type Json = Record<string, unknown>;

/** A listen stream is meant to stay open: its request never times out (setTimeout's largest delay). */
const LISTEN_TIMEOUT_MS = 0x7fffffff;

/**
 * The `call` of the request whose `input_required` the SDK is fulfilling: its handlers run in
 * that request's async context (the answer of its own POST), so a question is known to belong to
 * it for certain, as the answer stream of a 2025 upstream's POST says (see UpstreamHub).
 */
const currentCall = new AsyncLocalStorage<string | undefined>();

/**
 * Whether the SDK may run the handlers for this request: only when it fulfils an `input_required`
 * itself. A caller that takes input_required back (a 2026 client) never gets there, and a client
 * in the 2026 era drops every request the upstream sends on its own, so such a request needs no
 * `currentCall`. Entering an AsyncLocalStorage turns on Node's promise hooks for the whole
 * process, a cost on every promise of every call; the 2026-to-2026 path never pays it.
 */
const asksThroughHandlers = (options: Pick<UpstreamRequestOptions, 'allowInputRequired'>): boolean => options.allowInputRequired !== true;

/**
 * An upstream that speaks MCP 2026-07-28, over Streamable HTTP or stdio with the SDK v2 client: no session,
 * every request stands alone and carries the `_meta` envelope. The envelope names the capabilities
 * and identity of the downstream client the request is for (`UpstreamRequestOptions.client`), so
 * that what the upstream gates on a capability (elicitation, sampling…) behaves as it would for
 * that client directly; requests of the gateway's own (tool discovery) carry the gateway's.
 *
 * An `input_required` answer is handed back as it is when the caller can pass it on (a 2026
 * client: `allowInputRequired`); otherwise the SDK fulfils it through the handlers the proxy
 * installed (a 2025 client is asked on its session) and re-issues the request with the answers.
 */
export class ModernUpstreamConnection extends UpstreamConnectionBase {
  private handlers: UpstreamHandlers;
  private subscription?: McpSubscription;
  private closing?: Promise<void>;
  private lost = false;
  /** The resources the gateway's clients subscribed to, in the listen stream's filter. */
  private readonly resourceUris = new Set<string>();
  private listenGeneration = 0;
  /** The level a 2025 client set with logging/setLevel (the connection's clients share it, as a 2025 session's do). */
  private logLevel?: string;
  /** The HTTP client of a Streamable HTTP upstream (its keep-alive sockets end with the connection). */
  private http?: NodeFetch;

  private constructor(
    readonly spec: UpstreamSpec,
    private readonly client: ModernClient,
    private readonly options: SdkConnectionOptions,
    handlers: UpstreamHandlers,
    /** The server's process, for a stdio upstream. */
    private readonly process?: ProcessGroupStdioTransport,
  ) {
    super();
    this.handlers = { ...handlers };
  }

  private static create(spec: UpstreamSpec, options: SdkConnectionOptions, handlers: UpstreamHandlers, process?: ProcessGroupStdioTransport): ModernUpstreamConnection {
    const client = new ModernClient(options.clientInfo, {
      // The same JSON under the v2 package's stricter type for `experimental`.
      capabilities: options.capabilities as ModernCapabilities,
      versionNegotiation: { mode: { pin: MODERN_UPSTREAM_VERSION } },
      // The gateway relays every answer as it is: nothing is served from a cache of its own here.
      defaultCacheTtlMs: 0,
    });
    const connection = new ModernUpstreamConnection(spec, client, options, handlers, process);
    connection.registerHandlers();
    return connection;
  }

  /**
   * Asks a Streamable HTTP upstream with `server/discover` whether it speaks 2026-07-28 (a stdio
   * upstream is asked on its own process, see stdio-discovery.ts). Resolves, at the latest when
   * `windowMs` has passed, to a connection when it answered offering it; to 'legacy' when it does
   * not or cannot be reached (the caller connects as today, which reports the reason); to `late`
   * when no answer came in the window (a 2025 server that ignores requests it does not know, one
   * that is down, or a 2026 one that is slow: the caller initialises it with the rest of the
   * connect timeout, which tells the first two apart). The question stays open until the connect
   * timeout: `late.answer` is the 2026 connection if the answer comes and offers 2026-07-28, else
   * undefined; `late.cancel` stops waiting for it and closes that connection, answered or not
   * (one the supervisor adopted is no longer cancelled by anyone).
   */
  static async probe(spec: UpstreamSpec, options: SdkConnectionOptions, handlers: UpstreamHandlers, windowMs: number): Promise<ModernUpstreamConnection | 'legacy' | LateDiscovery> {
    if (spec.transport !== 'streamable_http') return 'legacy';
    let url: URL;
    try {
      url = upstreamUrl(spec);
    } catch {
      // The 2025 connect that follows reads the URL again and reports why it is unusable.
      return 'legacy';
    }
    if (!isHostAllowed(url, options.allowedHosts?.() ?? [])) return 'legacy';
    const connection = ModernUpstreamConnection.create(spec, options, handlers);
    const client = connection.client;
    const answered = client
      .connect(new ModernHttpTransport(url, { requestInit: { headers: upstreamHeaders(spec) }, fetch: connection.fetch() }), { timeout: options.connectTimeoutMs })
      .then(
        () => {
          connection.listenForChanges();
          return connection;
        },
        async () => {
          await connection.close();
          return 'legacy' as const;
        },
      );
    let timer: NodeJS.Timeout | undefined;
    // A stop ends the window early: the caller's initialize then gives up at once and cancels the question.
    let stopListening = (): void => undefined;
    const window = new Promise<'window'>((resolve) => {
      timer = setTimeout(() => resolve('window'), windowMs);
      stopListening = onAbort(options.stopSignal, () => resolve('window'));
    });
    const first = await Promise.race([answered, window]).finally(() => {
      clearTimeout(timer);
      stopListening();
    });
    if (first !== 'window') return first;
    return {
      answer: answered.then((late) => (late === 'legacy' ? undefined : late)),
      // Whether or not the answer came: one nobody adopted (the 2025 session it came too late for
      // was closed first, or its connect was superseded) is not to stay open with its listen stream.
      cancel: () => void connection.close(),
    };
  }

  /**
   * Speaks 2026-07-28 over a stdio server's process that has just answered `server/discover`
   * offering it (see stdio-discovery.ts): the SDK v2 client adopts that answer and the running
   * process, so nothing is asked twice and nothing is spawned again. Rejects with the SDK's
   * EraNegotiationFailed, before touching the process, when the answer is not a valid
   * DiscoverResult; on any other failure the process is stopped.
   */
  static async overStdio(
    spec: UpstreamSpec,
    options: SdkConnectionOptions,
    handlers: UpstreamHandlers,
    process: ProcessGroupStdioTransport,
    discover: DiscoverResult,
  ): Promise<ModernUpstreamConnection> {
    const connection = ModernUpstreamConnection.create(spec, options, handlers, process);
    // The transport is the SDK v1 interface, which the v2 client's is a superset of in name only.
    await connection.client.connect(process as unknown as ModernTransport, { prior: { kind: 'modern', discover } });
    connection.client.onclose = () => connection.processEnded();
    connection.listenForChanges();
    return connection;
  }

  get serverCapabilities(): McpServerCapabilities | undefined {
    return this.client.getServerCapabilities() as McpServerCapabilities | undefined;
  }

  get serverInfo(): McpImplementation | undefined {
    return this.client.getServerVersion();
  }

  get instructions(): string | undefined {
    return this.client.getInstructions();
  }

  get protocolVersion(): string | null {
    return this.client.getNegotiatedProtocolVersion() ?? null;
  }

  /** The stdio process id, or null for HTTP upstreams. */
  get pid(): number | null {
    return this.process?.pid ?? null;
  }

  protected identity(): Pick<UpstreamSpec, 'id' | 'name'> {
    return this.spec;
  }

  setHandlers(handlers: UpstreamHandlers): void {
    Object.assign(this.handlers, handlers);
  }

  async send<S extends AnyObjectSchema>(method: string, params: RequestParams, resultSchema: S, options: UpstreamRequestOptions = {}): Promise<SchemaOutput<S>> {
    if (this.closing) throw new UpstreamError('UPSTREAM_CLOSED', this.spec, `connection closed before ${method}`);
    // 2026-07-28 has no logging/setLevel: the level goes in the _meta of the requests that follow.
    if (method === 'logging/setLevel' && typeof params?.level === 'string') {
      this.logLevel = params.level;
      return {} as SchemaOutput<S>;
    }
    // 2026-07-28 has no resources/subscribe: a 2025 client's subscription joins the listen stream.
    if ((method === 'resources/subscribe' || method === 'resources/unsubscribe') && typeof params?.uri === 'string') {
      await (method === 'resources/subscribe' ? this.subscribeUri(params.uri, options) : this.unsubscribeUri(params.uri));
      return {} as SchemaOutput<S>;
    }
    const timeoutMs = options.timeoutMs ?? this.spec.timeoutMs ?? this.options.defaultRequestTimeoutMs;
    const schema = resultSchema as unknown as StandardSchemaV1;
    const request = () =>
      this.client.request({ method, params: this.withEnvelope(params, options) }, options.allowInputRequired ? withInputRequired(schema) : schema, {
        signal: options.signal,
        timeout: timeoutMs,
        maxTotalTimeout: timeoutMs,
        allowInputRequired: options.allowInputRequired,
        onprogress: options.onprogress
          ? ({ progress, total, message }) => options.onprogress?.({ progress, ...(total !== undefined && { total }), ...(message !== undefined && { message }) })
          : undefined,
      });
    try {
      return (await (asksThroughHandlers(options) ? currentCall.run(options.call, request) : request())) as SchemaOutput<S>;
    } catch (error) {
      if (this.closing && !options.signal?.aborted) throw new UpstreamError('UPSTREAM_CLOSED', this.spec, `connection closed during ${method}`, { cause: error });
      const failure = toUpstreamError(asV1Error(error), this.spec, { method, timeoutMs, signal: options.signal });
      if (failure.code === 'UPSTREAM_UNAVAILABLE') this.lose(failure);
      throw failure;
    }
  }

  /**
   * The upstream could not be reached or refused the request at the HTTP level (gone, restarted
   * as a 2025-only server, its authorization withdrawn): reported once as a lost connection, so
   * the supervisor connects again after its backoff and asks `server/discover` anew.
   */
  private lose(failure: UpstreamError): void {
    if (this.lost || this.closing) return;
    this.lost = true;
    this.options.onUnexpectedClose?.(failure, this);
  }

  /** A stdio server's process ended without close(): reported once, as a 2025 session's end is. */
  private processEnded(): void {
    const ended = this.process?.exitDescription;
    this.lose(new UpstreamError('UPSTREAM_UNAVAILABLE', this.spec, `${ended ? `process ${ended}` : 'connection closed'} unexpectedly`));
  }

  /** 2026-07-28 has no roots notifications: an upstream reads roots when it asks for input. */
  async notifyRootsListChanged(): Promise<void> {}

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Closing: a stream or client that fails to close is gone either way, and the rest must still close.
      await this.subscription?.close().catch(() => undefined);
      await this.client.close().catch(() => undefined);
      this.http?.close();
      // The client may have dropped the transport already (the process ended): the group's teardown is awaited here.
      await this.process?.close();
    })();
    return this.closing;
  }

  /**
   * The request's `_meta`: the downstream client's capabilities and identity when known (the
   * envelope the SDK adds otherwise is the gateway's own), and the log level set last unless the
   * request names one; the revision is always the one this connection negotiated, whatever a
   * client put in `_meta`.
   */
  private withEnvelope(params: RequestParams, options: UpstreamRequestOptions): Json {
    const { [META_PROTOCOL_VERSION]: _claimed, ...meta } = (params?._meta ?? {}) as Json;
    const client = options.client;
    return {
      ...params,
      _meta: {
        ...meta,
        ...(client?.capabilities === undefined ? {} : { [META_CLIENT_CAPABILITIES]: client.capabilities }),
        ...(client?.info === undefined ? {} : { [META_CLIENT_INFO]: client.info }),
        ...(this.logLevel === undefined || META_LOG_LEVEL in meta ? {} : { [META_LOG_LEVEL]: this.logLevel }),
      },
    };
  }

  /**
   * The allowlist is checked and OAuth tokens are asked at every request, as for 2025 upstreams.
   * An answer (its head, or a silence in its body) is waited for as long as undici's fetch waited,
   * or the server's request timeout when that is longer: a slow tool is the SDK's timeout to end.
   */
  private fetch(): FetchLike {
    // (At most the longest a Node timer can wait.)
    const waitMs = Math.min(2 ** 31 - 1, Math.max(HEADERS_TIMEOUT_MS, this.spec.timeoutMs ?? this.options.defaultRequestTimeoutMs));
    this.http ??= nodeFetch({ headersTimeoutMs: waitMs, bodyTimeoutMs: waitMs });
    const checked = allowlistedFetch(this.options.allowedHosts ?? (() => []), this.http as typeof fetch);
    const { tokens } = this.options;
    return (tokens === undefined ? checked : authorizedFetch(this.spec, tokens, checked)) as FetchLike;
  }

  /** What an `input_required` answer asks for, when the SDK fulfils it (a 2025 client behind). */
  private registerHandlers(): void {
    const client = this.client;
    const caps = this.options.capabilities;
    const unavailable = (what: string) => new ProtocolError(ErrorCode.MethodNotFound, `${what} is not available through this gateway right now`);
    if (caps.elicitation) {
      client.setRequestHandler('elicitation/create', async (request, ctx) => {
        const handler = this.handlers.onElicitationRequest;
        if (!handler) throw unavailable('elicitation');
        return handler(request.params as McpElicitationParams, { signal: ctx.mcpReq.signal, call: currentCall.getStore() });
      });
    }
    if (caps.sampling) {
      client.setRequestHandler('sampling/createMessage', async (request, ctx) => {
        const handler = this.handlers.onSamplingRequest;
        if (!handler) throw unavailable('sampling');
        return handler(request.params as McpSamplingParams, { signal: ctx.mcpReq.signal, call: currentCall.getStore() }) as never;
      });
    }
    if (caps.roots) {
      client.setRequestHandler('roots/list', async (_request, ctx) => {
        const handler = this.handlers.onRootsListRequest;
        if (!handler) throw unavailable('roots');
        return handler({ signal: ctx.mcpReq.signal, call: currentCall.getStore() });
      });
    }
    client.setNotificationHandler('notifications/tools/list_changed', () => this.handlers.onToolsListChanged?.());
    client.setNotificationHandler('notifications/prompts/list_changed', () => this.handlers.onPromptsListChanged?.());
    client.setNotificationHandler('notifications/resources/list_changed', () => this.handlers.onResourcesListChanged?.());
    client.setNotificationHandler('notifications/resources/updated', (notification) => this.handlers.onResourceUpdated?.(notification.params));
    client.setNotificationHandler('notifications/message', (notification) => this.handlers.onLoggingMessage?.(notification.params));
  }

  /**
   * Keeps `subscriptions/listen` open for the list changes the upstream announces (so the
   * gateway's cached lists are refreshed as they are for 2025 upstreams) and for the resources
   * the gateway's clients subscribed to; best effort: a stream the upstream refuses or drops is
   * opened again after a pause that grows to a minute.
   */
  private listenForChanges(): void {
    this.relisten().catch((error: unknown) => this.listenFailed(error, 1_000, 1));
  }

  /** A 2025 client's resources/subscribe: the URI joins the listen stream's filter. */
  private async subscribeUri(uri: string, options: UpstreamRequestOptions): Promise<void> {
    if (this.resourceUris.has(uri)) return;
    this.resourceUris.add(uri);
    try {
      await this.relisten();
    } catch (error) {
      this.resourceUris.delete(uri);
      throw toUpstreamError(asV1Error(error), this.spec, { method: 'subscriptions/listen', timeoutMs: options.timeoutMs ?? this.options.defaultRequestTimeoutMs, signal: options.signal });
    }
  }

  private async unsubscribeUri(uri: string): Promise<void> {
    if (this.resourceUris.delete(uri)) await this.relisten().catch((error: unknown) => this.listenFailed(error, 1_000, 1));
  }

  /** Replaces the listen stream with one for the current filter; resolves once the upstream acknowledged it. */
  private async relisten(): Promise<void> {
    const generation = ++this.listenGeneration;
    const previous = this.subscription;
    this.subscription = undefined;
    // Replaced: the old stream is dropped whether or not it closes cleanly.
    await previous?.close().catch(() => undefined);
    const caps = this.serverCapabilities;
    const filter = {
      ...(caps?.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(caps?.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(caps?.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(this.resourceUris.size > 0 ? { resourceSubscriptions: [...this.resourceUris] } : {}),
    };
    if (Object.keys(filter).length === 0 || this.closing) return;
    const subscription = await this.client.listen(filter, { timeout: LISTEN_TIMEOUT_MS });
    if (this.closing || generation !== this.listenGeneration) {
      // Superseded: dropped whether or not it closes cleanly, as a replaced one is above.
      subscription.close().catch(() => undefined);
      return;
    }
    this.subscription = subscription;
    void subscription.closed.then((how) => {
      if (how !== 'local' && this.subscription === subscription) this.listenAgain(1_000, 1);
    });
  }

  private listenAgain(delayMs: number, attempt: number): void {
    if (this.closing) return;
    setTimeout(() => {
      this.relisten().catch((error: unknown) => this.listenFailed(error, Math.min(60_000, 1_000 * 2 ** attempt), attempt + 1));
    }, delayMs).unref();
  }

  /** A listen stream the upstream refused or that failed to open: said (at most once a minute once backed off), then tried again. */
  private listenFailed(error: unknown, delayMs: number, attempt: number): void {
    if (this.closing) return;
    this.options.log?.('warn', 'upstream change stream not open; trying again', {
      serverId: this.spec.id, attempt, retryInMs: delayMs, error: errorMessage(error),
    });
    this.listenAgain(delayMs, attempt);
  }
}
