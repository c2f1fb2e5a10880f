import type { Context, Next } from 'koa';

/** What a browser client of the API and the MCP endpoints needs to send and to read. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-API-Key, If-Match, X-Correlation-Id, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID';
const EXPOSED_HEADERS = 'ETag, Location, Mcp-Session-Id, WWW-Authenticate, Retry-After, X-Correlation-Id';
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';
const PREFLIGHT_MAX_AGE_S = '600';

/**
 * CORS for the configured origins only; with none configured, no CORS header is ever sent
 * and browsers keep other sites' pages from reading any response. Preflights are answered
 * before authentication (browsers send them without credentials).
 */
export const cors = (origins: readonly string[]) => {
  const allowed = new Set(origins);
  return async (ctx: Context, next: Next): Promise<void> => {
    const origin = ctx.get('origin');
    if (origin === '' || !allowed.has(origin)) {
      await next();
      return;
    }
    ctx.vary('Origin');
    ctx.set('Access-Control-Allow-Origin', origin);
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method') !== '') {
      ctx.set({
        'Access-Control-Allow-Methods': ALLOWED_METHODS,
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_S,
      });
      ctx.status = 204;
      return;
    }
    ctx.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    await next();
  };
};
