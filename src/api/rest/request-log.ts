import type { Context, Next } from 'koa';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../infrastructure/telemetry';

/** MCP traffic and probes are frequent and have their own records (debug logs, metrics). */
const QUIET = /^\/(mcp\/|healthz$|readyz$|metrics$)/;

/**
 * One JSON line per HTTP request with its correlation id. Mounted before the problem handler,
 * so it sees the final status. Only the path is logged: query strings may carry an API key
 * (profiles that accept `?apiKey=`), and headers are never logged.
 */
export const requestLog = (logger: Logger) => async (ctx: Context, next: Next): Promise<void> => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
    const fields = {
      correlationId: ctx.state.correlationId as string | undefined,
      method: ctx.method,
      path: ctx.path,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (status >= 500) logger.error(fields, 'request failed');
    else if (QUIET.test(ctx.path)) logger.debug(fields, 'request');
    else logger.info(fields, 'request');
  }
};

/** Errors the app emits (5xx, failures after the response started), logged with the request's correlation id. */
export const logAppError = (logger: Logger) => (error: unknown, ctx?: Context): void => {
  logger.error({ err: error, correlationId: ctx?.state.correlationId as string | undefined, path: ctx?.path }, 'unhandled error');
};
