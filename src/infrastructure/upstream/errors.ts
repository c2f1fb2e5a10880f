import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { UpstreamSpec } from './types';
import { errorMessage } from '../../domain/shared';

/**
 * Local error codes for everything that can go wrong between the gateway and an upstream.
 * `UPSTREAM_RPC_ERROR` is the one wire error: the upstream answered with a JSON-RPC error,
 * which the proxy forwards as is (see `rpcError`).
 */
export const UPSTREAM_ERROR_CODES = [
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_CLOSED',
  'UPSTREAM_CANCELLED',
  'UPSTREAM_AT_CAPACITY',
  'UPSTREAM_SESSION_EXPIRED',
  'UPSTREAM_PROTOCOL_ERROR',
  'UPSTREAM_MISCONFIGURED',
  /** A per-user server, for a caller with no user or with no credentials of their own for it. */
  'UPSTREAM_NO_CREDENTIALS',
  'UPSTREAM_RPC_ERROR',
] as const;

export type UpstreamErrorCode = (typeof UPSTREAM_ERROR_CODES)[number];

export type UpstreamRpcError = Readonly<{ code: number; message: string; data?: unknown }>;

type ServerIdentity = Pick<UpstreamSpec, 'id' | 'name'> & Partial<Pick<UpstreamSpec, 'credentials'>>;

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly serverId: string;
  readonly serverName: string;
  /** Set only for `UPSTREAM_RPC_ERROR`: the JSON-RPC error exactly as the upstream sent it. */
  readonly rpcError?: UpstreamRpcError;
  /**
   * The request never left the gateway, and its connection was closed to be replaced (its user's
   * credentials changed): it may be sent again on the connection that replaces it. A request
   * that was sent is never marked (an upstream may have acted on it), nor is one the gateway's
   * shutdown failed.
   */
  readonly resendable: boolean;

  constructor(
    readonly code: UpstreamErrorCode,
    server: ServerIdentity,
    detail: string,
    options: { cause?: unknown; rpcError?: UpstreamRpcError; resendable?: boolean } = {},
  ) {
    // The server's name is in every message so a log line or an error shown to a user says
    // which of the many upstreams behind a profile failed.
    super(`upstream "${server.name}": ${detail}`, { cause: options.cause });
    this.serverId = server.id;
    this.serverName = server.name;
    this.rpcError = options.rpcError;
    this.resendable = options.resendable ?? false;
  }
}

/** What a connect attempt ends with when its owner stopped (see SessionOptions.stopSignal). */
export const stoppedWhileConnecting = (server: ServerIdentity): UpstreamError => new UpstreamError('UPSTREAM_CLOSED', server, 'stopped while connecting');

export const isUpstreamError = (error: unknown, code?: UpstreamErrorCode): error is UpstreamError =>
  error instanceof UpstreamError && (code === undefined || error.code === code);

/** A request that may go again on a new connection (see `UpstreamError.resendable`). */
export const isResendable = (error: unknown): boolean => error instanceof UpstreamError && error.resendable;

/** McpError prefixes its message with "MCP error <code>: "; the wire message is the rest. */
export const wireMessage = (error: McpError): string => error.message.replace(/^MCP error -?\d+: /, '');

/**
 * What a 401 tells whoever reads it (a model, a log): the server needs authorizing, and where. A
 * per-user server is authorized by each user for themselves, a shared one by an admin.
 */
const authorizationRequired = (server: ServerIdentity): string =>
  server.credentials === 'per_user'
    ? `authorization required (it answered 401): authorize your own access with POST /api/servers/${encodeURIComponent(server.name)}/credentials/oauth/authorize and open the authorizationUrl it returns`
    : `authorization required (it answered 401): an admin authorizes it with POST /api/servers/${encodeURIComponent(server.name)}/oauth/authorize and opens the authorizationUrl it returns`;

export type FailedRequest = Readonly<{ method: string; timeoutMs: number; signal?: AbortSignal }>;

/**
 * Maps whatever the SDK or the network threw while a request was in flight to an
 * `UpstreamError`. Already-mapped errors pass through unchanged.
 */
export const toUpstreamError = (error: unknown, server: ServerIdentity, request: FailedRequest): UpstreamError => {
  if (error instanceof UpstreamError) return error;
  if (request.signal?.aborted) {
    return new UpstreamError('UPSTREAM_CANCELLED', server, `${request.method} was cancelled`, { cause: error });
  }
  if (error instanceof StreamableHTTPError) {
    // A 404 for a request that carried our session id means the upstream forgot the session.
    if (error.code === 404) {
      return new UpstreamError('UPSTREAM_SESSION_EXPIRED', server, `session expired during ${request.method}`, {
        cause: error,
      });
    }
    // 401 after the token (if any) was refreshed and retried: only an admin can help.
    if (error.code === 401) {
      return new UpstreamError('UPSTREAM_UNAVAILABLE', server, authorizationRequired(server), { cause: error });
    }
    return new UpstreamError('UPSTREAM_UNAVAILABLE', server, `HTTP error during ${request.method}: ${error.message}`, {
      cause: error,
    });
  }
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) {
      return new UpstreamError(
        'UPSTREAM_TIMEOUT',
        server,
        `no answer to ${request.method} within ${request.timeoutMs} ms`,
        { cause: error },
      );
    }
    if (error.code === ErrorCode.ConnectionClosed) {
      return new UpstreamError('UPSTREAM_UNAVAILABLE', server, `connection closed during ${request.method}`, {
        cause: error,
      });
    }
    return new UpstreamError('UPSTREAM_RPC_ERROR', server, `${request.method} failed: ${wireMessage(error)}`, {
      cause: error,
      rpcError: { code: error.code, message: wireMessage(error), data: error.data },
    });
  }
  if (error instanceof Error && error.name === 'ZodError') {
    return new UpstreamError('UPSTREAM_PROTOCOL_ERROR', server, `malformed ${request.method} result: ${error.message}`, {
      cause: error,
    });
  }
  return new UpstreamError('UPSTREAM_UNAVAILABLE', server, `${request.method} failed: ${errorMessage(error)}`, {
    cause: error,
  });
};
