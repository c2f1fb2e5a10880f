import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Context, Next } from 'koa';
import { tokensMatch } from '../../infrastructure/config/admin-token';
import { ProblemError, toProblem } from './problem';

export const PROBLEM_JSON = 'application/problem+json';

/** First in the chain: every error becomes a problem; 5xx details stay in the log (a 503 BUSY is an answer, not a fault). */
export const problemHandler = async (ctx: Context, next: Next): Promise<void> => {
  try {
    await next();
    if (ctx.respond === false) return;
    if (ctx.status === 404 && ctx.body === undefined) throw new ProblemError(404, 'ROUTE_NOT_FOUND', `No route for ${ctx.method} ${ctx.path}`);
  } catch (error) {
    if (ctx.respond === false || ctx.res.headersSent) {
      ctx.app.emit('error', error, ctx);
      return;
    }
    const { body, headers } = toProblem(error);
    ctx.status = body.status;
    ctx.set(headers);
    ctx.type = PROBLEM_JSON;
    ctx.body = body;
    if (body.status >= 500 && body.code !== 'BUSY') ctx.app.emit('error', error, ctx);
  }
};

/** The client's correlation id when it is a sane one, else a new one. */
export const correlationIdOf = (given: string | undefined): string => (given !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID());

/** Every request carries a correlation id (given or generated) that ends up in the events' metadata. */
export const correlation = async (ctx: Context, next: Next): Promise<void> => {
  ctx.state.correlationId = correlationIdOf(ctx.get('x-correlation-id'));
  ctx.set('X-Correlation-Id', ctx.state.correlationId as string);
  await next();
};

/** On every response, the REST API's and the MCP endpoints' alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

/** The security headers and the correlation id, for what is served outside Koa (the MCP endpoints, `/healthz`). */
export const setCommonHeaders = (res: ServerResponse, correlationId: string): void => {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.setHeader('X-Correlation-Id', correlationId);
};

export const securityHeaders = async (ctx: Context, next: Next): Promise<void> => {
  ctx.set(SECURITY_HEADERS);
  await next();
};

/** Bodies must be JSON: anything else with a body is a 415, not a silently empty object. */
export const requireJsonBody = async (ctx: Context, next: Next): Promise<void> => {
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(ctx.method) && (Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '');
  if (hasBody && !ctx.is('application/json', '+json')) {
    throw new ProblemError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request bodies must be application/json');
  }
  await next();
};

/**
 * `Authorization: Bearer <admin token>` on every /api route, compared in constant time. A
 * function is asked at every request (a token file rotated while the server runs).
 */
export const adminAuth = (adminToken: string | (() => string)) => async (ctx: Context, next: Next): Promise<void> => {
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    throw new ProblemError(401, 'UNAUTHENTICATED', 'Send the admin token as "Authorization: Bearer <token>"', undefined, { 'WWW-Authenticate': 'Bearer realm="gatehouse-admin"' });
  }
  if (!tokensMatch(match[1], typeof adminToken === 'function' ? adminToken() : adminToken)) {
    throw new ProblemError(401, 'INVALID_TOKEN', 'The admin token is not valid', undefined, { 'WWW-Authenticate': 'Bearer realm="gatehouse-admin", error="invalid_token"' });
  }
  ctx.state.actor = 'admin';
  await next();
};
