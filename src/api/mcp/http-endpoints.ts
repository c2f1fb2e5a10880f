import Router from '@koa/router';
import type { Context } from 'koa';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import type { GatehouseContext } from '../../infrastructure/commands/context';
import { allowedHostnames, authenticate, checkOrigin, HttpRefusal, readJsonBody, sendRefusal } from './http-guards';
import type { McpGateway } from './mcp-gateway';

export type McpEndpointOptions = Readonly<{ context: GatehouseContext; gateway: McpGateway; bindHost: string; publicUrl: string }>;

const isInitialize = (body: unknown): boolean =>
  Array.isArray(body) ? body.some((message) => isInitializeRequest(message)) : isInitializeRequest(body);

/**
 * The downstream MCP endpoints of every profile: Streamable HTTP at `/mcp/<slug>` and the
 * legacy SSE pair. Guards run first (Host/Origin, profile, API key), then the SDK transport
 * takes the raw request; Koa stays out of the response (`ctx.respond = false`).
 */
export const mcpRoutes = ({ context, gateway, bindHost, publicUrl }: McpEndpointOptions): Router => {
  const router = new Router();
  const allowed = allowedHostnames(bindHost, publicUrl);

  const guarded = (handler: (ctx: Context, url: URL) => Promise<void>) => async (ctx: Context): Promise<void> => {
    ctx.respond = false;
    try {
      checkOrigin(ctx.req, allowed);
      await handler(ctx, new URL(ctx.url, 'http://gateway.invalid'));
    } catch (error) {
      if (error instanceof HttpRefusal) sendRefusal(ctx.res, error);
      else {
        ctx.app.emit('error', error, ctx);
        sendRefusal(ctx.res, new HttpRefusal(500, -32603, 'Internal error'));
      }
    }
  };

  const profileFor = (ctx: Context, url: URL) => {
    const profile = gateway.profileBySlug(String(ctx.params.slug));
    if (!profile) throw new HttpRefusal(404, -32001, `No profile "${String(ctx.params.slug)}"`);
    return { profile, keyId: authenticate(context.sql, ctx.req, url, profile) };
  };

  const existingSession = (ctx: Context, profileId: string, sessionId: string | undefined) => {
    if (sessionId === undefined || sessionId === '') throw new HttpRefusal(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const entry = gateway.sessions.get(sessionId);
    if (!entry || entry.session.profileId !== profileId) throw new HttpRefusal(404, -32001, 'Session not found');
    return entry;
  };

  router.post('/mcp/:slug', guarded(async (ctx, url) => {
    const { profile, keyId } = profileFor(ctx, url);
    const body = await readJsonBody(ctx.req);
    const sessionId = ctx.get('mcp-session-id');
    if (sessionId === '' && isInitialize(body)) {
      const session = gateway.createSession(profile, keyId, randomUUID());
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => session.sessionId,
        onsessioninitialized: (): void => gateway.register(session, transport),
      });
      await session.connect(transport);
      await transport.handleRequest(ctx.req, ctx.res, body);
      return;
    }
    const { transport } = existingSession(ctx, profile.id, sessionId);
    await (transport as StreamableHTTPServerTransport).handleRequest(ctx.req, ctx.res, body);
  }));

  router.get('/mcp/:slug', guarded(async (ctx, url) => {
    const { profile } = profileFor(ctx, url);
    const { transport, session } = existingSession(ctx, profile.id, ctx.get('mcp-session-id'));
    session.lastActivity = Date.now();
    ctx.req.socket.setTimeout(0);
    await (transport as StreamableHTTPServerTransport).handleRequest(ctx.req, ctx.res);
  }));

  router.delete('/mcp/:slug', guarded(async (ctx, url) => {
    const { profile } = profileFor(ctx, url);
    const { transport } = existingSession(ctx, profile.id, ctx.get('mcp-session-id'));
    await (transport as StreamableHTTPServerTransport).handleRequest(ctx.req, ctx.res);
  }));

  router.get('/mcp/:slug/sse', guarded(async (ctx, url) => {
    const { profile, keyId } = profileFor(ctx, url);
    ctx.req.socket.setTimeout(0);
    const transport = new SSEServerTransport(`/mcp/${encodeURIComponent(profile.slug)}/messages`, ctx.res);
    const session = gateway.createSession(profile, keyId, transport.sessionId);
    gateway.register(session, transport);
    await session.connect(transport);
  }));

  router.post('/mcp/:slug/messages', guarded(async (ctx, url) => {
    const { profile } = profileFor(ctx, url);
    const { transport, session } = existingSession(ctx, profile.id, url.searchParams.get('sessionId') ?? undefined);
    session.lastActivity = Date.now();
    const body = await readJsonBody(ctx.req);
    await (transport as SSEServerTransport).handlePostMessage(ctx.req, ctx.res, body);
  }));

  return router;
};
