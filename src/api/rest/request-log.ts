import type { Context, Next } from 'koa';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../infrastructure/telemetry';

/** MCP traffic and probes are frequent and have their own records (debug logs, metrics). */
const QUIET = /^\/(mcp\/|healthz$|readyz$|metrics$)/;

/** Whether the client's connection of `req` is closed (it hung up, or was cut); `req.destroyed` is no sign of it: a request whose body was read is destroyed too. */
export const clientClosed = (req: IncomingMessage): boolean => req.socket.destroyed;

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
    // A client that hung up mid-request reads no answer: its 5xx (a reset socket reads as an
    // unreachable database) is no fault of ours, and what failed is logged by the app's error.
    if (status >= 500 && !clientClosed(ctx.req)) logger.error(fields, 'request failed');
    else if (status >= 500 || QUIET.test(ctx.path)) logger.debug(fields, 'request');
    else logger.info(fields, 'request');
  }
};

/** Errors the app emits (5xx, failures after the response started), logged with the request's correlation id. */
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED']);

/**
 * A client that hung up mid-request: its business, not a fault of ours (Node calls the error
 * "aborted" or gives a socket code). Only when the client's own connection is closed: the same
 * codes from another socket (a database connection reset while the request was served) are a
 * fault, and are logged as one.
 */
const isClientGone = (error: unknown, connectionClosed: boolean): boolean => {
  if (!connectionClosed || typeof error !== 'object' || error === null) return false; // not `instanceof Error`: errors of Node's own realm may not be ours
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && CLIENT_GONE.has(code)) || message === 'aborted' || message === 'request aborted';
};

/** An error no handler answered (a REST route's or an MCP endpoint's): at debug when the client had simply gone. */
export const logUnhandled = (logger: Logger, error: unknown, fields: Readonly<Record<string, unknown>>, connectionClosed: boolean): void => {
  if (isClientGone(error, connectionClosed)) logger.debug({ err: error, ...fields }, 'client went away mid-request');
  else logger.error({ err: error, ...fields }, 'unhandled error');
};

export const logAppError = (logger: Logger) => (error: unknown, ctx?: Context): void =>
  logUnhandled(logger, error, { correlationId: ctx?.state.correlationId as string | undefined, path: ctx?.path }, ctx !== undefined && clientClosed(ctx.req));
