import Router from '@koa/router';
import type { Context } from 'koa';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Gateway } from '../../infrastructure/gateway';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { DownstreamSession, type SessionStart } from './downstream-session';
import { initializeParamsOf, SessionResumer } from './session-resumption';
import { HttpRefusal, isInitialize, readPostMessages, sendRefusal, StreamableHttpServerTransport } from '../../infrastructure/transports/streamable-http';
import { allowedHostnames, authenticate, type Caller, checkOrigin, readJsonBody } from './http-guards';
import { correlationIdOf, setCommonHeaders } from '../rest/middleware';
import { clientClosed } from '../rest/request-log';
import { AuthFailureLimiter } from '../security/auth-failures';
import { assertSseMessage } from '../security/jsonrpc-message';
import { limitedRefusal, sseMessagesEndpoint } from '../security/mcp-auth';
import { MAX_URL_LENGTH } from '../security/request-limits';
import { modernEndpoint, sendVerdictRefusal } from './modern-endpoint';
import { classify } from './modern-request';
import type { McpOAuth } from '../oauth-server/mcp-bearer';

export type McpEndpointOptions = Readonly<{
  gateway: Gateway;
  bindHost: string;
  publicUrl: string;
  /** Failed-auth budget per client address, shared with the REST API. */
  authFailures?: AuthFailureLimiter;
  /** GATEHOUSE_CORS_ORIGINS: browser origins let through the Origin check. */
  corsOrigins?: readonly string[];
  /** Gatehouse's own authorization server, for profiles that take OAuth access tokens. */
  oauth?: McpOAuth;
  /** A request served outside Koa has ended (the request log), and an error it could not answer but with a 500. */
  onServed?: (fields: Readonly<{ correlationId: string; method: string; path: string; status: number; durationMs: number }>) => void;
  /** `connectionClosed`: the client's connection was closed by then (an error with a socket code is then taken for its hanging up). */
  onError?: (error: unknown, fields: Readonly<{ correlationId: string; path: string }>, connectionClosed: boolean) => void;
}>;

/** One MCP request: the raw request and response, and what the route matched. */
type Exchange = Readonly<{ req: IncomingMessage; res: ServerResponse; slug: string; url: URL; correlationId: string; path: string }>;

type Handler = (exchange: Exchange) => Promise<void>;

/** An initialize *request* (with an id) opens a session; the SDK's predicate also takes one sent as a notification. */
const isInitializeRequestWithId = (message: unknown): boolean => isInitialize(message) && (message as { id?: unknown }).id !== undefined;

const opensSession = (body: unknown): boolean => (Array.isArray(body) ? body.some(isInitializeRequestWithId) : isInitializeRequestWithId(body));

const header = (req: IncomingMessage, name: string): string => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : '';
};

const optionalHeader = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** `/mcp/<slug>` and nothing under it: the Streamable HTTP endpoint, the hot path. */
const ENDPOINT_PATH = /^\/mcp\/([^/?#]+)(?:[?#]|$)/;

const decodeSlug = (raw: string): string => {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
};

/** What the MCP spec has a server answer to a method the endpoint does not serve. */
const methodNotAllowed = (): HttpRefusal => new HttpRefusal(405, -32000, 'Method not allowed.', { Allow: 'GET, POST, DELETE' });

/**
 * The downstream MCP endpoints of every profile: Streamable HTTP at `/mcp/<slug>` and the
 * legacy SSE pair. Guards run first (Host/Origin, profile, API key), then the transport takes
 * the raw request; Koa stays out of the response (`ctx.respond = false`).
 */
export type McpEndpoints = Readonly<{
  /** The legacy SSE pair, and every MCP request the fast lane leaves to Koa. */
  router: Router;
  /**
   * Serves a request to `/mcp/<slug>` without Koa (its context, middleware chain and router
   * cost a proxied call more than the proxy's own work): true when it took the request. A
   * browser request from a CORS origin goes through Koa, whose middleware answers CORS.
   */
  serve: (req: IncomingMessage, res: ServerResponse) => boolean;
}>;

/**
 * The downstream MCP endpoints of every profile: Streamable HTTP at `/mcp/<slug>` and the
 * legacy SSE pair. Guards run first (Host/Origin, profile, API key), then the transport takes
 * the raw request; Koa, where a request goes through it, stays out of the response.
 */
export const mcpEndpoints = (options: McpEndpointOptions): McpEndpoints => {
  const { gateway, bindHost, publicUrl, authFailures = new AuthFailureLimiter(), corsOrigins = [] } = options;
  const router = new Router();
  const openSession = (profile: ProxyProfile, caller: Caller, sessionId: string, transport: Transport, persisted?: SessionStart['persisted']): DownstreamSession =>
    DownstreamSession.open(gateway, { sessionId, profile, keyId: caller.keyId, userId: caller.userId, transport, persisted });
  const resumer = new SessionResumer(gateway, (profile, caller, sessionId, persisted) =>
    openSession(profile, caller, sessionId, new StreamableHttpServerTransport(sessionId), persisted),
  );
  const allowed = allowedHostnames(bindHost, publicUrl);
  const trustedOrigins: ReadonlySet<string> = new Set(corsOrigins);
  const modern = modernEndpoint(gateway);

  const guarded = (handler: Handler) => async (exchange: Exchange): Promise<void> => {
    try {
      checkOrigin(exchange.req, allowed, trustedOrigins);
      await handler(exchange);
    } catch (error) {
      if (error instanceof HttpRefusal) {
        sendRefusal(exchange.res, limitedRefusal(authFailures, exchange.req, exchange.url, error));
      } else {
        options.onError?.(error, { correlationId: exchange.correlationId, path: exchange.path }, clientClosed(exchange.req));
        sendRefusal(exchange.res, new HttpRefusal(500, -32603, 'Internal error'));
      }
    }
  };

  const profileFor = async ({ req, slug, url }: Exchange) => {
    const profile = await gateway.profiles.bySlug(slug);
    if (!profile) throw new HttpRefusal(404, -32001, `No profile "${slug}"`);
    return { profile, caller: await authenticate(gateway.keys, req, url, profile, options.oauth) };
  };

  /**
   * A session answers only the key that opened it: another key for the profile cannot join it.
   * `resumable`: a Streamable HTTP request, whose session, if this process does not hold it,
   * may be one it can resume (opened before a restart, or by another instance).
   */
  const existingSession = async (profile: ProxyProfile, caller: Caller, sessionId: string | undefined, resumable: boolean) => {
    if (sessionId === undefined || sessionId === '') throw new HttpRefusal(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const session = resumable ? await resumer.session(profile, caller, sessionId) : gateway.sessions.get(sessionId);
    if (!(session instanceof DownstreamSession) || session.profileId !== profile.id || session.keyId !== caller.keyId) throw new HttpRefusal(404, -32001, 'Session not found');
    // Any request is activity, pings and notifications included: idle expiry is for silent clients.
    session.touch();
    return session;
  };

  /** The id of a legacy SSE session names no Streamable HTTP session, and the other way round. */
  const sessionOn = <T>(kind: abstract new (...args: never[]) => T, session: DownstreamSession): T => {
    if (!(session.transport instanceof kind)) throw new HttpRefusal(404, -32001, 'Session not found');
    return session.transport;
  };

  const post = guarded(async (exchange) => {
    const { req, res } = exchange;
    const { profile, caller } = await profileFor(exchange);
    const body = await readJsonBody(req);
    const sessionId = header(req, 'mcp-session-id');
    // MCP 2026-07-28: no session, the version in every request's _meta (see modern-request.ts).
    const verdict = classify(
      { sessionId, protocolVersion: optionalHeader(req, 'mcp-protocol-version'), method: optionalHeader(req, 'mcp-method'), name: optionalHeader(req, 'mcp-name') },
      body,
    );
    if (verdict.kind === 'refused') return sendVerdictRefusal(res, verdict);
    if (verdict.kind !== 'legacy') return modern.serve(req, res, profile, caller, verdict);
    if (sessionId === '' && opensSession(body)) {
      // Checked before the session exists: a refused initialize leaves nothing behind.
      const messages = readPostMessages(req, body, false);
      const { id, identity } = gateway.persistedSessions.ids.issue(profile.id, caller.keyId);
      const record = { id: identity.nonce, profileId: profile.id, keyId: caller.keyId, initialize: initializeParamsOf(messages.messages), logLevel: null, subscriptions: [], lastActivity: Date.now() };
      // Stored before the client hears of the session: an id it holds always names a record.
      // When the store cannot take it (database busy or lost), the session still opens here and
      // only loses the ability to survive a restart: a client is never refused for that.
      const persisted = await gateway.persistedSessions.store.create(record).then(
        () => ({ store: gateway.persistedSessions.store, record, resumed: false }),
        (error: unknown) => {
          gateway.observability.log('warn', 'session not stored: it will not survive a restart', { sessionId: id, error: String(error) });
          return undefined;
        },
      );
      const transport = new StreamableHttpServerTransport(id);
      await openSession(profile, caller, id, transport, persisted).opened;
      transport.handlePost(req, res, messages);
      return;
    }
    const transport = sessionOn(StreamableHttpServerTransport, await existingSession(profile, caller, sessionId, true));
    transport.handlePost(req, res, readPostMessages(req, body, true));
  });

  const get = guarded(async (exchange) => {
    const { req, res } = exchange;
    const { profile, caller } = await profileFor(exchange);
    const transport = sessionOn(StreamableHttpServerTransport, await existingSession(profile, caller, header(req, 'mcp-session-id'), true));
    // HEAD reaches the GET route; the SDK's transport answered it 405.
    if (req.method !== 'GET') throw methodNotAllowed();
    req.socket.setTimeout(0);
    transport.handleGet(req, res);
  });

  const remove = guarded(async (exchange) => {
    const { req, res } = exchange;
    const { profile, caller } = await profileFor(exchange);
    const transport = sessionOn(StreamableHttpServerTransport, await existingSession(profile, caller, header(req, 'mcp-session-id'), true));
    await transport.handleDelete(req, res);
  });

  const other = guarded(async (exchange) => {
    await profileFor(exchange);
    throw methodNotAllowed();
  });

  /** The endpoint's handler for a method: POST, GET (and HEAD), DELETE, and a 405 for the rest. */
  const endpointFor = (method: string | undefined): Handler => (method === 'POST' ? post : method === 'GET' || method === 'HEAD' ? get : method === 'DELETE' ? remove : other);

  /** A Koa route's request as an exchange: Koa has set the headers and stays out of the response. */
  const viaKoa = (handler: Handler) => (ctx: Context) => {
    ctx.respond = false;
    return handler({ req: ctx.req, res: ctx.res, slug: String(ctx.params.slug), url: new URL(ctx.url, 'http://gateway.invalid'), correlationId: ctx.state.correlationId as string, path: ctx.path });
  };

  router.all('/mcp/:slug', (ctx) => viaKoa(endpointFor(ctx.method))(ctx));

  router.get('/mcp/:slug/sse', viaKoa(guarded(async (exchange) => {
    const { req, res, url } = exchange;
    const { profile, caller } = await profileFor(exchange);
    req.socket.setTimeout(0);
    const transport = new SSEServerTransport(sseMessagesEndpoint(profile.slug, req, url, profile), res);
    await openSession(profile, caller, transport.sessionId, transport).opened;
  })));

  router.post('/mcp/:slug/messages', viaKoa(guarded(async (exchange) => {
    const { req, res, url } = exchange;
    const { profile, caller } = await profileFor(exchange);
    const transport = sessionOn(SSEServerTransport, await existingSession(profile, caller, url.searchParams.get('sessionId') ?? undefined, false));
    const body = await readJsonBody(req);
    assertSseMessage(req, body);
    await transport.handlePostMessage(req, res, body);
  })));

  const serve = (req: IncomingMessage, res: ServerResponse): boolean => {
    const raw = req.url ?? '';
    const match = raw.length <= MAX_URL_LENGTH ? ENDPOINT_PATH.exec(raw) : null;
    if (match === null) return false;
    const origin = req.headers.origin;
    if (origin !== undefined && trustedOrigins.has(origin)) return false;
    const started = performance.now();
    const correlationId = correlationIdOf(header(req, 'x-correlation-id'));
    setCommonHeaders(res, correlationId);
    const url = new URL(raw, 'http://gateway.invalid');
    if (options.onServed) {
      const served = options.onServed;
      res.once('finish', () => served({ correlationId, method: req.method ?? '', path: url.pathname, status: res.statusCode, durationMs: Math.round((performance.now() - started) * 10) / 10 }));
    }
    void endpointFor(req.method)({ req, res, slug: decodeSlug(match[1]), url, correlationId, path: url.pathname });
    return true;
  };

  return { router, serve };
};
