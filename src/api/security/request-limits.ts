import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Context, Next } from 'koa';
import { HttpRefusal, sendRefusal } from '../../infrastructure/transports/streamable-http';
import { badRequest, ProblemError } from '../rest/problem';
import { NOT_WELL_FORMED } from '../../domain/shared';
import { checkJson, findIllFormedString } from './json-safety';

/** Request line plus headers; Node answers 431 beyond it (the URL counts towards it too). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Far above any route of the API, far below the header limit, so a long URL gets a clear 414. */
export const MAX_URL_LENGTH = 8 * 1024;
export const MAX_HEADER_COUNT = 100;
/** How long a client may take to send its request line and headers (the whole request: GATEHOUSE_HTTP_REQUEST_TIMEOUT_MS). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node looks for requests past those times. */
export const CONNECTIONS_CHECK_MS = 1_000;

const isMcpPath = (path: string): boolean => path === '/mcp' || path.startsWith('/mcp/');

/** 414 for over-long URLs: problem+json on REST, a JSON-RPC error on the MCP endpoints. */
export const limitUrlLength = async (ctx: Context, next: Next): Promise<void> => {
  if (ctx.url.length > MAX_URL_LENGTH) {
    const detail = `The request URL is longer than ${MAX_URL_LENGTH} characters`;
    if (isMcpPath(ctx.path)) {
      ctx.respond = false;
      sendRefusal(ctx.res, new HttpRefusal(414, -32600, detail));
      return;
    }
    throw new ProblemError(414, 'URI_TOO_LONG', detail);
  }
  await next();
};

/** After the body parser: refuses JSON nested too deep or carrying prototype keys (400). */
export const rejectUnsafeJson = async (ctx: Context, next: Next): Promise<void> => {
  const raw = (ctx.request as { rawBody?: unknown }).rawBody;
  if (typeof raw === 'string' && raw !== '') {
    const unsafe = checkJson(raw, ctx.request.body);
    if (unsafe) throw badRequest(unsafe.message, [{ field: unsafe.path ?? '', messages: [unsafe.message] }]);
    const illFormed = findIllFormedString(ctx.request.body);
    if (illFormed !== null) {
      const message = `${illFormed === '' ? 'The body' : illFormed} ${NOT_WELL_FORMED}`;
      throw badRequest(message, [{ field: illFormed, messages: [NOT_WELL_FORMED] }]);
    }
  }
  await next();
};

type ParserRefusal = Readonly<{ status: number; title: string; code: string; detail: string }>;

const BAD_REQUEST: ParserRefusal = { status: 400, title: 'Bad Request', code: 'BAD_REQUEST', detail: 'The request could not be parsed' };
/** What the HTTP parser refuses, by Node's error code; anything else is a plain 400. */
const PARSER_REFUSALS: Readonly<Record<string, ParserRefusal>> = {
  HPE_HEADER_OVERFLOW: { status: 431, title: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', detail: `Request line and headers must fit in ${MAX_HEADER_BYTES} bytes` },
  HPE_URI_TOO_LONG: { status: 414, title: 'URI Too Long', code: 'URI_TOO_LONG', detail: 'The request URL is too long' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, title: 'Request Timeout', code: 'REQUEST_TIMEOUT', detail: 'The request did not arrive in time' },
};

/**
 * Bounds on what a client can make the server hold before a route runs. Requests the HTTP
 * parser refuses get a problem document instead of Node's bare status line.
 */
export const hardenHttpServer = (server: Server): void => {
  server.maxHeadersCount = MAX_HEADER_COUNT;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // As Node's own handler: no answer on a dead socket or after a response has started on it.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const refusal = PARSER_REFUSALS[error.code ?? ''] ?? BAD_REQUEST;
    const body = JSON.stringify({ type: `https://gatehouse.dev/problems/${refusal.code.toLowerCase().replace(/_/g, '-')}`, title: refusal.title, status: refusal.status, detail: refusal.detail, code: refusal.code });
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
};
