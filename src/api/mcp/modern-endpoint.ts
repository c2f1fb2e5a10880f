/**
 * Serves MCP 2026-07-28 requests on a profile's `/mcp/<slug>`: no session and no initialize,
 * every request stands alone (its `_meta` says the version and the client's capabilities), so
 * any Gatehouse instance can answer any of them. The profile proxy behind it is the one 2025
 * sessions use; results get what the revision requires (`resultType`, cache hints, the server's
 * identity in `_meta`), tools come in name order, removed methods are 404 / -32601.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CallToolRequestSchema, CompleteRequestSchema, GetPromptRequestSchema, ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Gateway } from '../../infrastructure/application';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { ProfileProxy, type RoutedRequestOptions } from '../../infrastructure/proxy/profile-proxy';
import type { ClientPeer } from '../../infrastructure/proxy/upstream-hub';
import type { McpClientCapabilities, McpImplementation } from '../../infrastructure/upstream';
import { GATEWAY_INFO } from './downstream-session';
import { RESOURCE_NOT_FOUND, toWireError } from './errors';
import { inNameOrder, mergeCacheHints, type CacheHint } from './modern-cache';
import { openListenStream } from './modern-listen';
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
 * so the pool and the hub keep one entry for all of them. It cannot be asked anything (no
 * session to ask on): an upstream's sampling, elicitation or roots request gets an error.
 */
class StatelessPeer implements ClientPeer {
  constructor(readonly sessionId: string) {}
  private refuse(what: string): Promise<never> {
    return Promise.reject(new Error(`${what} cannot reach a client using MCP 2026-07-28 through the gateway (no session to ask on)`));
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
  listsChanged(): void {}
}

/**
 * The request as it goes on to an upstream: upstreams are spoken to as 2025-11-25 (over the
 * gateway's session with them), so the `_meta` key that claims the 2026 revision is dropped (an
 * SDK v2 upstream over HTTP would answer -32020, its MCP-Protocol-Version header naming the
 * session's revision). The client's own capabilities and identity stay: they are what it declared.
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
  serve: (req: IncomingMessage, res: ServerResponse, profile: ProxyProfile, keyId: string | null, verdict: Extract<Verdict, { kind: 'request' | 'notification' }>) => Promise<void>;
}>;

export const modernEndpoint = (gateway: Gateway): ModernEndpoint => {
  /** One proxy per profile and key: its routes are rebuilt from each new profile snapshot. */
  const proxies = new Map<string, ProfileProxy>();
  const proxyFor = (profile: ProxyProfile, keyId: string | null): ProfileProxy => {
    const id = `stateless:${profile.id}:${keyId ?? 'open'}`;
    let proxy = proxies.get(id);
    if (!proxy) {
      proxy = new ProfileProxy(gateway.proxy, profile.id, new StatelessPeer(id));
      proxies.set(id, proxy);
    }
    return proxy;
  };

  const cacheHint = (profile: ProxyProfile): CacheHint =>
    mergeCacheHints(profile.servers.map((spec) => ({ perClient: gateway.pool.isPerSession(spec) })));

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
        return proxy.callTool(parseParams(CallToolRequestSchema, request), options) as Promise<Json>;
      case 'prompts/list':
        return { prompts: await proxy.listPrompts(), ...cacheHint(profile) };
      case 'prompts/get':
        return proxy.getPrompt(parseParams(GetPromptRequestSchema, request), options) as Promise<Json>;
      case 'resources/list':
        return { resources: await proxy.listResources(), ...cacheHint(profile) };
      case 'resources/templates/list':
        return { resourceTemplates: await proxy.listResourceTemplates(), ...cacheHint(profile) };
      case 'resources/read':
        return { ...((await proxy.readResource(parseParams(ReadResourceRequestSchema, request).uri, options)) as Json), ...cacheHint(profile) };
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

  /** What every 2026 result carries besides its own fields. */
  const finished = (result: Json): Json => {
    const meta = result._meta !== null && typeof result._meta === 'object' ? (result._meta as Json) : {};
    // An upstream's input_required is the client's to answer: it keeps its kind.
    const resultType = result.resultType === 'input_required' ? 'input_required' : 'complete';
    return { ...result, resultType, _meta: { ...meta, [META.serverInfo]: GATEWAY_INFO } };
  };

  const wireErrorOf = (error: unknown, request: ModernRequest): ModernError => {
    if (error instanceof ModernError) return error;
    const wire = toWireError(error);
    // 2026-07-28 answers an unknown resource with invalid params (-32602), not -32002.
    if (wire.code === RESOURCE_NOT_FOUND && request.method === 'resources/read') return new ModernError(-32602, wire.message, { uri: request.params.uri });
    // The one in-band error the spec puts an HTTP status on: a capability the client did not declare.
    return new ModernError(wire.code, wire.message, wire.data, wire.code === MISSING_CLIENT_CAPABILITY ? 400 : 200);
  };

  const serve: ModernEndpoint['serve'] = async (req, res, profile, keyId, verdict) => {
    if (verdict.kind === 'notification') {
      // notifications/cancelled of a request on another connection has nothing to cancel here:
      // a stateless request is cancelled by closing its connection.
      res.writeHead(202).end();
      return;
    }
    const { request } = verdict;
    if (request.method === 'subscriptions/listen') {
      await openListenStream(gateway, req, res, profile, keyId, request);
      return;
    }
    const abort = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort(new Error('the client closed the connection'));
    };
    res.once('close', onClose);
    const progressToken = (request.meta as { progressToken?: unknown }).progressToken;
    const streams = (typeof progressToken === 'string' || typeof progressToken === 'number') && String(req.headers.accept ?? '').includes('text/event-stream');
    const send = (message: Json): void => {
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
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
      answer = { jsonrpc: '2.0', id: request.id, result: finished(await handle(request, profile, proxyFor(profile, keyId), options)) };
    } catch (error) {
      const wire = wireErrorOf(error, request);
      status = wire.status;
      answer = { jsonrpc: '2.0', id: request.id, error: { code: wire.code, message: wire.message, ...(wire.data === undefined ? {} : { data: wire.data }) } };
    } finally {
      res.off('close', onClose);
    }
    if (res.destroyed) return;
    if (res.headersSent) {
      send(answer);
      res.end();
    } else {
      writeJson(res, status, answer);
    }
  };

  return { serve };
};
