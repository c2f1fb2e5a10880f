/** The SDK v2 client's errors, read the way `toUpstreamError` reads the v1 SDK's. */
import { ProtocolError, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/**
 * The v2 SDK's errors as the v1 ones `toUpstreamError` knows: an upstream's JSON-RPC error stays
 * its wire error, a local timeout or a closed connection keeps its meaning.
 */
export const asV1Error = (error: unknown): unknown => {
  if (error instanceof ProtocolError) return new McpError(error.code, error.message, error.data);
  if (error instanceof SdkError) {
    // A JSON-RPC error the upstream sent with an HTTP error status (404 for an unknown method, as
    // 2026-07-28 says) is its answer, not a transport failure; the SDK reads only a 400's body.
    const answered = jsonRpcErrorIn(/^Error POSTing to endpoint: (\{[\s\S]*\})$/.exec(error.message)?.[1]);
    if (answered) return answered;
    if (error.code === SdkErrorCode.RequestTimeout) return new McpError(ErrorCode.RequestTimeout, error.message);
    if (error.code === SdkErrorCode.ConnectionClosed) return new McpError(ErrorCode.ConnectionClosed, error.message);
  }
  return error;
};

const jsonRpcErrorIn = (body: string | undefined): McpError | undefined => {
  if (body === undefined) return undefined;
  try {
    const { error } = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; data?: unknown } };
    return typeof error?.code === 'number' ? new McpError(error.code, String(error.message ?? ''), error.data) : undefined;
  } catch {
    return undefined;
  }
};
