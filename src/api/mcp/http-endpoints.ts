import Router from '@koa/router';
import type { Context } from 'koa';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { randomUUID } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Gateway } from '../../infrastructure/application';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { DownstreamSession } from './downstream-session';
import { HttpRefusal, isInitialize, readPostMessages, sendRefusal, StreamableHttpServerTransport } from '../../infrastructure/transports/streamable-http';
import { allowedHostnames, authenticate, checkOrigin, readJsonBody } from './http-guards';
import { AuthFailureLimiter, clientAddress } from '../security/auth-failures';
import { assertSseMessage } from '../security/jsonrpc-message';
import { refuseIfBlocked, sseMessagesEndpoint } from '../security/mcp-auth';

export type McpEndpointOptions = Readonly<{
  gateway: Gateway;
  bindHost: string;
  publicUrl: string;
  /** Failed-auth budget per client address, shared with the REST API. */
  authFailures?: AuthFailureLimiter;
  /** GATEHOUSE_CORS_ORIGINS: browser origins let through the Origin check. */
  corsOrigins?: readonly string[];
}>;

/** An initialize *request* (with an id) opens a session; the SDK's predicate also takes one sent as a notification. */
const isInitializeRequestWithId = (message: unknown): boolean => isInitialize(message) && (message as { id?: unknown }).id !== undefined;

const opensSession = (body: unknown): boolean => (Array.isArray(body) ? body.some(isInitializeRequestWithId) : isInitializeRequestWithId(body));

/** What the MCP spec has a server answer to a method the endpoint does not serve. */
const methodNotAllowed = (): HttpRefusal => new HttpRefusal(405, -32000, 'Method not allowed.', { Allow: 'GET, POST, DELETE' });

/**
 * The downstream MCP endpoints of every profile: Streamable HTTP at `/mcp/<slug>` and the
 * legacy SSE pair. Guards run first (Host/Origin, profile, API key), then the transport takes
 * the raw request; Koa stays out of the response (`ctx.respond = false`).
 */
export const mcpRoutes = ({ gateway, bindHost, publicUrl, authFailures = new AuthFailureLimiter(), corsOrigins = [] }: McpEndpointOptions): Router => {
  const router = new Router();
  const openSession = (profile: ProxyProfile, keyId: string | null, sessionId: string, transport: Transport): DownstreamSession =>
    DownstreamSession.open(gateway, { sessionId, profile, keyId, transport });
  const allowed = allowedHostnames(bindHost, publicUrl);
  const trustedOrigins: ReadonlySet<string> = new Set(corsOrigins);

  const guarded = (handler: (ctx: Context, url: URL) => Promise<void>) => async (ctx: Context): Promise<void> => {
    ctx.respond = false;
    const address = clientAddress(ctx.req.socket);
    try {
      checkOrigin(ctx.req, allowed, trustedOrigins);
      refuseIfBlocked(authFailures, address);
      await handler(ctx, new URL(ctx.url, 'http://gateway.invalid'));
    } catch (error) {
      if (error instanceof HttpRefusal) {
        if (error.status === 401) authFailures.recordFailure(address);
        sendRefusal(ctx.res, error);
      } else {
        ctx.app.emit('error', error, ctx);
        sendRefusal(ctx.res, new HttpRefusal(500, -32603, 'Internal error'));
      }
    }
  };

  const profileFor = async (ctx: Context, url: URL) => {
    const profile = await gateway.profiles.bySlug(String(ctx.params.slug));
    if (!profile) throw new HttpRefusal(404, -32001, `No profile "${String(ctx.params.slug)}"`);
    return { profile, keyId: await authenticate(gateway.keys, ctx.req, url, profile) };
  };

  /** A session answers only the key that opened it: another key for the profile cannot join it. */
  const existingSession = (ctx: Context, profileId: string, keyId: string | null, sessionId: string | undefined) => {
    if (sessionId === undefined || sessionId === '') throw new HttpRefusal(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const session = gateway.sessions.get(sessionId);
    if (!(session instanceof DownstreamSession) || session.profileId !== profileId || session.keyId !== keyId) throw new HttpRefusal(404, -32001, 'Session not found');
    // Any request is activity, pings and notifications included: idle expiry is for silent clients.
    session.touch();
    return session;
  };

  /** The id of a legacy SSE session names no Streamable HTTP session, and the other way round. */
  const sessionOn = <T>(kind: abstract new (...args: never[]) => T, session: DownstreamSession): T => {
    if (!(session.transport instanceof kind)) throw new HttpRefusal(404, -32001, 'Session not found');
    return session.transport;
  };

  router.post('/mcp/:slug', guarded(async (ctx, url) => {
    const { profile, keyId } = await profileFor(ctx, url);
    const body = await readJsonBody(ctx.req);
    const sessionId = ctx.get('mcp-session-id');
    if (sessionId === '' && opensSession(body)) {
      // Checked before the session exists: a refused initialize leaves nothing behind.
      const messages = readPostMessages(ctx.req, body, false);
      const id = randomUUID();
      const transport = new StreamableHttpServerTransport(id);
      await openSession(profile, keyId, id, transport).opened;
      transport.handlePost(ctx.req, ctx.res, messages);
      return;
    }
    const transport = sessionOn(StreamableHttpServerTransport, existingSession(ctx, profile.id, keyId, sessionId));
    transport.handlePost(ctx.req, ctx.res, readPostMessages(ctx.req, body, true));
  }));

  router.get('/mcp/:slug', guarded(async (ctx, url) => {
    const { profile, keyId } = await profileFor(ctx, url);
    const transport = sessionOn(StreamableHttpServerTransport, existingSession(ctx, profile.id, keyId, ctx.get('mcp-session-id')));
    // The router serves HEAD with the GET route; the SDK's transport answered it 405.
    if (ctx.method !== 'GET') throw methodNotAllowed();
    ctx.req.socket.setTimeout(0);
    transport.handleGet(ctx.req, ctx.res);
  }));

  router.delete('/mcp/:slug', guarded(async (ctx, url) => {
    const { profile, keyId } = await profileFor(ctx, url);
    const transport = sessionOn(StreamableHttpServerTransport, existingSession(ctx, profile.id, keyId, ctx.get('mcp-session-id')));
    await transport.handleDelete(ctx.req, ctx.res);
  }));

  // After the three routes above, which end every request they take: any other method.
  router.all('/mcp/:slug', guarded(async (ctx, url) => {
    await profileFor(ctx, url);
    throw methodNotAllowed();
  }));

  router.get('/mcp/:slug/sse', guarded(async (ctx, url) => {
    const { profile, keyId } = await profileFor(ctx, url);
    ctx.req.socket.setTimeout(0);
    const transport = new SSEServerTransport(sseMessagesEndpoint(profile.slug, ctx.req, url, profile), ctx.res);
    await openSession(profile, keyId, transport.sessionId, transport).opened;
  }));

  router.post('/mcp/:slug/messages', guarded(async (ctx, url) => {
    const { profile, keyId } = await profileFor(ctx, url);
    const transport = sessionOn(SSEServerTransport, existingSession(ctx, profile.id, keyId, url.searchParams.get('sessionId') ?? undefined));
    const body = await readJsonBody(ctx.req);
    assertSseMessage(ctx.req, body);
    await transport.handlePostMessage(ctx.req, ctx.res, body);
  }));

  return router;
};
