import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ProxyError } from '../../infrastructure/proxy/profile-proxy';
import { isUpstreamError, wireMessage } from '../../infrastructure/upstream';
import { assertNever } from '../../domain/shared';

/** MCP's "resource not found" (spec: server/resources, error handling). */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * The one place local errors become wire errors, in the SDK's two families: what the client
 * asked for that does not exist is its error (-32602 for an unknown tool or prompt, the spec's
 * -32002 for an unknown resource, -32600 for a session whose profile was deleted); a condition
 * on the gateway's side (a server that left the profile, an upstream gone) is never -32602, and
 * our own faults are -32603. An upstream's own JSON-RPC error is passed through unchanged.
 */
export const toMcpError = (error: unknown): McpError => {
  if (error instanceof McpError) return error;
  if (error instanceof ProxyError) return proxyError(error);
  if (isUpstreamError(error)) {
    if (error.code === 'UPSTREAM_RPC_ERROR' && error.rpcError) return new McpError(error.rpcError.code, error.rpcError.message, error.rpcError.data);
    if (error.code === 'UPSTREAM_TIMEOUT') return new McpError(ErrorCode.RequestTimeout, error.message, { server: error.serverName });
    return new McpError(ErrorCode.InternalError, error.message, { server: error.serverName, reason: error.code });
  }
  return new McpError(ErrorCode.InternalError, 'internal error in the gateway');
};

/**
 * An error as it goes on the wire. The SDK's McpError puts "MCP error <code>: " before its
 * message, the SDK sends that as the message, and the client's McpError adds the prefix again
 * ("MCP error -32602: MCP error -32602: Unknown tool"). What we send carries the bare message.
 */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** toMcpError, with the message as it should read on the wire. */
export const toWireError = (error: unknown): WireError => {
  const mcp = toMcpError(error);
  return new WireError(mcp.code, wireMessage(mcp), mcp.data);
};

const proxyError = (error: ProxyError): McpError => {
  switch (error.code) {
    case 'UNKNOWN_TOOL':
    case 'UNKNOWN_PROMPT':
      // The reason tells the gateway's own "not in this profile" from an upstream's -32602 passed through.
      return new McpError(ErrorCode.InvalidParams, error.message, { reason: error.code });
    case 'UNKNOWN_RESOURCE':
      return new McpError(RESOURCE_NOT_FOUND, error.message);
    case 'PROFILE_GONE':
      return new McpError(ErrorCode.InvalidRequest, error.message);
    case 'SERVER_GONE':
    case 'LIST_UNAVAILABLE':
      return new McpError(ErrorCode.InternalError, error.message, { reason: error.code });
    default:
      return assertNever(error.code);
  }
};
