/**
 * Serves MCP 2026-07-28 requests on a profile's `/mcp/<slug>`: no session and no initialize,
 * every request stands alone (its `_meta` says the version and the client's capabilities), so
 * any Gatehouse instance can answer any of them. The profile proxy behind it is the one 2025
 * sessions use; results get what the revision requires (`resultType`, cache hints, the server's
 * identity in `_meta`), tools come in name order, removed methods are 404 / -32601.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CallToolRequestSchema, CompleteRequestSchema, ErrorCode, GetPromptRequestSchema, ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { assertNever } from '../../domain/shared';
import type { Gateway } from '../../infrastructure/gateway';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { ProfileProxy, type RoutedRequestOptions } from '../../infrastructure/proxy/profile-proxy';
import type { ClientPeer, RelatedRequest } from '../../infrastructure/proxy/upstream-hub';
import { EventStream, messageEvent } from '../../infrastructure/transports/streamable-http';
import type { McpClientCapabilities, McpElicitationParams, McpImplementation, McpSamplingParams } from '../../infrastructure/upstream';
import { GATEWAY_INFO } from './downstream-session';
import type { Caller } from './http-guards';
import { RESOURCE_NOT_FOUND, toWireError } from './errors';
import { inNameOrder, mergeCacheHints, type CacheHint } from './modern-cache';
import { type FlowRetry, HolderUnavailableError, InputRelay, RelayedError } from './input-relay';
import { type InputFlow, InputFlows, type InputRequest, RequestStateError, RequestStates, type StateOwner } from './modern-input';
import { openListenStream } from './modern-listen';
import { isPlainToolCall } from './modern-params';
import { type Json, META, MISSING_CLIENT_CAPABILITY, type ModernRequest, type RequestId, SUPPORTED_VERSIONS, type Verdict } from './modern-request';

/** What a 2026 profile endpoint offers (server/discover). */
export const MODERN_CAPABILITIES = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  completions: {},
} as const;

/** A JSON-RPC error the endpoint answers with, and the HTTP status it goes with. */
export class ModernError extends Error {
  override readonly name = 'ModernError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
    readonly status = 200,
  ) {
    super(message);
  }
}

const METHOD_NOT_FOUND = -32601;

/**
 * A retry handed to the instance that holds its request, which is gone or slow: a condition on
 * the gateway's side, not the client's (its requestState was good), so never -32602. No answer in
 * time is the request timeout, as an upstream's is (errors.ts).
 */
const holderError = (error: HolderUnavailableError): ModernError => {
  switch (error.code) {
    case 'HOLDER_GONE':
      return new ModernError(ErrorCode.InternalError, error.message, { reason: error.code });
    case 'HOLDER_TIMEOUT':
      return new ModernError(ErrorCode.RequestTimeout, error.message, { reason: error.code });
    default:
      return assertNever(error.code);
  }
};

/** Methods of the session revisions that 2026-07-28 removed: answered like any unknown method, as the spec says. */
export const REMOVED_METHODS: readonly string[] = ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe'];

const writeJson = (res: ServerResponse, status: number, body: unknown): void => {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
};

export const sendModernError = (res: ServerResponse, id: RequestId | null, status: number, code: number, message: string, data?: unknown): void =>
  writeJson(res, status, { jsonrpc: '2.0', id, error: { code, message, ...(data === undefined ? {} : { data }) } });

/** Answers a refused verdict (bad envelope, header mismatch, unsupported version). */
export const sendVerdictRefusal = (res: ServerResponse, verdict: Extract<Verdict, { kind: 'refused' }>): void =>
  sendModernError(res, verdict.id, verdict.status, verdict.code, verdict.message, verdict.data);

/**
 * The client behind stateless requests, as the upstream hub sees it: one per profile and key,
 * so the pool and the hub keep one entry for all of them. There is no session to ask on: a 2025
 * upstream's sampling, elicitation or roots request goes to the request it arrived during (its
 * `InputFlow`, named by the related request id, which the hub knows for certain only when the
 * upstream said which call it asks for; see UpstreamHub), which hands it to the client as an
 * `InputRequiredResult`; with no such request, or a capability the client did not declare, the
 * upstream gets an error.
 */
class StatelessPeer implements ClientPeer {
  /** Each request (flow) may come from a different client with the same key. */
  readonly requestsStandAlone = true;
  constructor(
    readonly sessionId: string,
    readonly userId: string | null,
    private readonly flows: InputFlows,
  ) {}
  private ask(request: InputRequest, capability: 'sampling' | 'elicitation' | 'roots', signal: AbortSignal, related: RelatedRequest): Promise<never> {
    const flow = typeof related === 'string' ? this.flows.get(related) : undefined;
    if (!flow) return Promise.reject(new Error(`${request.method} cannot reach a client using MCP 2026-07-28 outside a tools/call, prompts/get or resources/read`));
    if (flow.capabilities[capability] === undefined) return Promise.reject(new Error(`${request.method}: the client did not declare the ${capability} capability`));
    return flow.ask(request, signal) as Promise<never>;
  }
  createMessage(params: McpSamplingParams, signal: AbortSignal, related: RelatedRequest) {
    return this.ask({ method: 'sampling/createMessage', params: params as Json }, 'sampling', signal, related);
  }
  elicit(params: McpElicitationParams, signal: AbortSignal, related: RelatedRequest) {
    return this.ask({ method: 'elicitation/create', params: params as Json }, 'elicitation', signal, related);
  }
  listRoots(signal: AbortSignal, related: RelatedRequest) {
    return this.ask({ method: 'roots/list' }, 'roots', signal, related);
  }
  listsChanged(): void {}
}

/** The requests of 2026-07-28 that may answer input_required (spec: multi round-trip requests). */
const MULTI_ROUND: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/**
 * The request as it goes on to an upstream: the `_meta` key that claims the 2026 revision is
 * dropped, since each upstream is spoken to in the revision its connection negotiated (over a
 * 2025-11-25 session an SDK v2 upstream over HTTP would answer -32020, its MCP-Protocol-Version
 * header naming the session's revision; a 2026-07-28 connection puts in its own). The client's
 * own capabilities and identity stay: they are what it declared.
 */
const forUpstream = (request: ModernRequest): ModernRequest => {
  const { [META.protocolVersion]: _claim, ...meta } = request.meta;
  return { ...request, meta, params: { ...request.params, _meta: meta } };
};

type Parsed<S extends z.ZodType> = z.output<S> extends { params: infer P } ? P : never;

const parseParams = <S extends z.ZodType>(schema: S, request: ModernRequest): Parsed<S> => {
  const parsed = schema.safeParse({ method: request.method, params: request.params });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${['params', ...issue.path.slice(1)].join('.')}: ${issue.message}`).join('; ');
    throw new ModernError(-32602, `Invalid params for ${request.method}: ${problems}`);
  }
  // Fields the 2025 schema does not know (a retry's inputResponses and requestState) go on as sent.
  return { ...request.params, ...(parsed.data as { params: Json }).params } as Parsed<S>;
};

export type ModernEndpoint = Readonly<{
  serve: (req: IncomingMessage, res: ServerResponse, profile: ProxyProfile, caller: Caller, verdict: Extract<Verdict, { kind: 'request' | 'notification' }>) => Promise<void>;
}>;

export const modernEndpoint = (gateway: Gateway): ModernEndpoint => {
  /** One proxy per profile and key: its routes are rebuilt from each new profile snapshot. */
  const proxies = new Map<string, ProfileProxy>();
  const flows = new InputFlows();
  const states = new RequestStates(gateway.app.secrets);
  const proxyFor = (profile: ProxyProfile, { keyId, userId }: Caller): ProfileProxy => {
    // A key (or an OAuth grant) belongs to one user: the peer's user never changes.
    const id = `stateless:${profile.id}:${keyId ?? 'open'}`;
    let proxy = proxies.get(id);
    if (!proxy) {
      proxy = new ProfileProxy(gateway.proxy, profile.id, new StatelessPeer(id, userId, flows));
      proxies.set(id, proxy);
    }
    return proxy;
  };

  const cacheHint = (profile: ProxyProfile): CacheHint =>
    mergeCacheHints(profile.servers.map((spec) => ({ perClient: gateway.pool.isPerSession(spec) || spec.credentials === 'per_user' })));

  const discover = (profile: ProxyProfile): Json => ({
    supportedVersions: [...SUPPORTED_VERSIONS],
    capabilities: MODERN_CAPABILITIES,
    instructions: `Gatehouse profile "${profile.slug}": the tools, prompts and resources of its servers.`,
    ...cacheHint(profile),
  });

  const handle = async (received: ModernRequest, profile: ProxyProfile, proxy: ProfileProxy, options: RoutedRequestOptions): Promise<Json> => {
    const request = forUpstream(received);
    switch (request.method) {
      case 'server/discover':
        return discover(profile);
      case 'tools/list':
        return { tools: inNameOrder(await proxy.listTools()), ...cacheHint(profile) };
      case 'tools/call':
        return proxy.callTool(isPlainToolCall(request.params) ? (request.params as Parsed<typeof CallToolRequestSchema>) : parseParams(CallToolRequestSchema, request), options) as Promise<Json>;
      case 'prompts/list':
        return { prompts: await proxy.listPrompts(), ...cacheHint(profile) };
      case 'prompts/get':
        return proxy.getPrompt(parseParams(GetPromptRequestSchema, request), options) as Promise<Json>;
      case 'resources/list':
        return { resources: await proxy.listResources(), ...cacheHint(profile) };
      case 'resources/templates/list':
        return { resourceTemplates: await proxy.listResourceTemplates(), ...cacheHint(profile) };
      case 'resources/read': {
        const params = parseParams(ReadResourceRequestSchema, request);
        const read = (await proxy.readResource(params.uri, options, params)) as Json;
        return read.resultType === 'input_required' ? read : { ...read, ...cacheHint(profile) };
      }
      case 'completion/complete':
        return proxy.complete(parseParams(CompleteRequestSchema, request), options) as Promise<Json>;
      default:
        throw new ModernError(
          METHOD_NOT_FOUND,
          REMOVED_METHODS.includes(request.method) ? `Method not found: ${request.method} was removed in MCP 2026-07-28` : `Method not found: ${request.method}`,
          undefined,
          404,
        );
    }
  };

  /** A 2026 upstream's input_required goes to the client with its state sealed inside the gateway's own. */
  const sealUpstreamState = (result: Json, owner: StateOwner, ttlMs: number): Json => {
    if (result.resultType !== 'input_required') return result;
    const state = typeof result.requestState === 'string' ? result.requestState : null;
    return { ...result, requestState: states.seal({ kind: 'upstream', state }, owner, ttlMs) };
  };

  /**
   * Waits for the flow's call to finish or ask something (the client closing the connection
   * meanwhile cancels it), and says so: the call's result, or input_required with a sealed state.
   */
  const stepOf = async (flow: InputFlow, closed: AbortSignal, ttlMs: number): Promise<Json> => {
    const onClose = (): void => flow.abort(new Error('the client closed the connection'));
    closed.addEventListener('abort', onClose, { once: true });
    try {
      const step = await flow.next();
      if (step.kind === 'done') {
        flow.end();
        return sealUpstreamState(step.result, flow.owner, ttlMs);
      }
      if (step.kind === 'failed') {
        flow.end();
        throw step.error;
      }
      flow.holdFor(ttlMs);
      const state = states.seal({ kind: 'flow', flowId: flow.id, round: step.round, holder: relay?.instanceId }, flow.owner, ttlMs);
      return { resultType: 'input_required', inputRequests: step.inputRequests, requestState: state };
    } finally {
      closed.removeEventListener('abort', onClose);
    }
  };

  /** A retry of a flow held here, from this instance's client or relayed from another instance's. */
  const resumeHere = (retry: FlowRetry, closed: AbortSignal, ttlMs: number): Promise<Json> => {
    const flow = flows.get(retry.flowId);
    if (!flow || flow.owner.profileId !== retry.owner.profileId || flow.owner.keyId !== retry.owner.keyId) {
      throw new RequestStateError('is no longer pending (answered or expired)');
    }
    flow.resume(retry.round, retry.request.params.inputResponses);
    return stepOf(flow, closed, ttlMs);
  };

  /** With several instances on one database, a retry of a flow held by another is handed to it (see InputRelay). */
  const relay = gateway.mailbox === null
    ? undefined
    : new InputRelay({
      mailbox: gateway.mailbox,
      resumeHere: async (retry, closed) => resumeHere(retry, closed, gateway.proxy.settings().requestTimeoutMs),
      wireError: (error, request) => wireErrorOf(error, request),
      stepTimeoutMs: () => gateway.proxy.settings().requestTimeoutMs,
      onError: (error) => gateway.observability.log('warn', 'relaying a translated request between instances failed', { error: String(error) }),
    });

  /**
   * tools/call, prompts/get and resources/read: a first request runs in a flow (a 2025 upstream
   * may ask for input during it); a retry opens its requestState: the gateway's own flow is
   * resumed with the answers (handed to the instance that holds it, if another), a 2026
   * upstream's state goes back to that upstream.
   */
  const multiRound = async (request: ModernRequest, profile: ProxyProfile, caller: Caller, options: RoutedRequestOptions, closed: AbortSignal): Promise<Json> => {
    const owner: StateOwner = { profileId: profile.id, keyId: caller.keyId };
    const proxy = proxyFor(profile, caller);
    const ttlMs = gateway.proxy.settings().requestTimeoutMs;
    if (request.params.requestState !== undefined) {
      const opened = states.open(request.params.requestState, owner);
      if (opened.kind === 'upstream') {
        const { requestState: _sealed, ...params } = request.params;
        const retry = { ...request, params: opened.state === null ? params : { ...params, requestState: opened.state } };
        return sealUpstreamState(await handle(retry, profile, proxy, options), owner, ttlMs);
      }
      const retry: FlowRetry = { flowId: opened.flowId, round: opened.round, owner, request: { method: request.method, params: request.params } };
      if (relay && opened.holder !== undefined && opened.holder !== relay.instanceId) return relay.forward(opened.holder, retry, closed);
      return resumeHere(retry, closed, ttlMs);
    }
    const flow = flows.begin(owner, options.client?.capabilities ?? {});
    flow.start(handle(request, profile, proxy, { ...options, signal: flow.signal, downstreamRequestId: flow.id }));
    return stepOf(flow, closed, ttlMs);
  };

  /** What every 2026 result carries besides its own fields. */
  const finished = (result: Json): Json => {
    const meta = result._meta !== null && typeof result._meta === 'object' ? (result._meta as Json) : {};
    // An upstream's input_required is the client's to answer: it keeps its kind.
    const resultType = result.resultType === 'input_required' ? 'input_required' : 'complete';
    return { ...result, resultType, _meta: { ...meta, [META.serverInfo]: GATEWAY_INFO } };
  };

  const wireErrorOf = (error: unknown, request: Pick<ModernRequest, 'method' | 'params'>): ModernError => {
    if (error instanceof ModernError) return error;
    // The instance that holds the flow answered it, as it would its own client.
    if (error instanceof RelayedError) return new ModernError(error.wire.code, error.wire.message, error.wire.data, error.wire.status);
    // A requestState the client got wrong (altered, foreign, expired, replayed): its error.
    if (error instanceof RequestStateError) return new ModernError(-32602, error.message, { requestState: error.reason });
    if (error instanceof HolderUnavailableError) return holderError(error);
    const wire = toWireError(error);
    // 2026-07-28 answers an unknown resource with invalid params (-32602), not -32002.
    if (wire.code === RESOURCE_NOT_FOUND && request.method === 'resources/read') return new ModernError(-32602, wire.message, { uri: request.params.uri });
    // The one in-band error the spec puts an HTTP status on: a capability the client did not declare.
    return new ModernError(wire.code, wire.message, wire.data, wire.code === MISSING_CLIENT_CAPABILITY ? 400 : 200);
  };

  const serve: ModernEndpoint['serve'] = async (req, res, profile, caller, verdict) => {
    if (verdict.kind === 'notification') {
      // notifications/cancelled of a request on another connection has nothing to cancel here:
      // a stateless request is cancelled by closing its connection.
      res.writeHead(202).end();
      return;
    }
    const { request } = verdict;
    if (request.method === 'subscriptions/listen') {
      await openListenStream(gateway, req, res, profile, caller, request);
      return;
    }
    const abort = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort(new Error('the client closed the connection'));
    };
    res.once('close', onClose);
    const progressToken = (request.meta as { progressToken?: unknown }).progressToken;
    const streams = (typeof progressToken === 'string' || typeof progressToken === 'number') && String(req.headers.accept ?? '').includes('text/event-stream');
    // The answer streams from the first progress notification on; one after the answer is dropped.
    let stream: EventStream | undefined;
    const send = (message: Json): void => {
      if (stream !== undefined) stream.write(messageEvent(message));
      else if (!res.headersSent) stream = new EventStream(res, undefined, messageEvent(message));
    };
    const options: RoutedRequestOptions = {
      signal: abort.signal,
      timeoutMs: gateway.proxy.settings().requestTimeoutMs,
      downstreamRequestId: request.id,
      // What the client declared in this request: a 2026 upstream is told the same.
      client: { capabilities: request.meta[META.clientCapabilities] as McpClientCapabilities, info: request.meta[META.clientInfo] as McpImplementation | undefined },
      // A 2026 upstream's input_required goes back to the client, which retries with its answers.
      allowInputRequired: true,
      onprogress: streams ? (progress) => send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, ...progress } }) : undefined,
    };
    let answer: Json;
    let status = 200;
    try {
      const result = MULTI_ROUND.has(request.method) ? await multiRound(request, profile, caller, options, abort.signal) : await handle(request, profile, proxyFor(profile, caller), options);
      answer = { jsonrpc: '2.0', id: request.id, result: finished(result) };
    } catch (error) {
      const wire = wireErrorOf(error, request);
      status = wire.status;
      answer = { jsonrpc: '2.0', id: request.id, error: { code: wire.code, message: wire.message, ...(wire.data === undefined ? {} : { data: wire.data }) } };
    } finally {
      res.off('close', onClose);
    }
    if (res.destroyed) return;
    if (stream !== undefined) stream.end(messageEvent(answer));
    else writeJson(res, status, answer);
  };

  return { serve };
};
