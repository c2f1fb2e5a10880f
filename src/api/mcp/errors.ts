import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ProxyError } from '../../infrastructure/proxy/profile-proxy';
import { isUpstreamError } from '../../infrastructure/upstream';

/** MCP's "resource not found" (spec: server/resources, error handling). */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * The one place local errors become wire errors. An upstream's own JSON-RPC error is passed
 * through unchanged; our faults are -32603 (never -32602, which means the client sent bad params).
 */
export const toMcpError = (error: unknown): McpError => {
  if (error instanceof McpError) return error;
  if (error instanceof ProxyError) {
    switch (error.code) {
      case 'UNKNOWN_TOOL':
      case 'UNKNOWN_PROMPT':
      case 'SERVER_GONE':
        return new McpError(ErrorCode.InvalidParams, error.message);
      case 'UNKNOWN_RESOURCE':
        return new McpError(RESOURCE_NOT_FOUND, error.message);
      case 'PROFILE_GONE':
        return new McpError(ErrorCode.InvalidRequest, error.message);
    }
  }
  if (isUpstreamError(error)) {
    if (error.code === 'UPSTREAM_RPC_ERROR' && error.rpcError) return new McpError(error.rpcError.code, error.rpcError.message, error.rpcError.data);
    if (error.code === 'UPSTREAM_TIMEOUT') return new McpError(ErrorCode.RequestTimeout, error.message, { server: error.serverName });
    return new McpError(ErrorCode.InternalError, error.message, { server: error.serverName, reason: error.code });
  }
  return new McpError(ErrorCode.InternalError, 'internal error in the gateway');
};
