import type { IncomingMessage } from 'node:http';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { HttpRefusal } from '../../infrastructure/transports/streamable-http';

/**
 * What the legacy SSE messages endpoint accepts: one JSON-RPC message as application/json.
 * The SDK's SSE transport answers anything else with a plain-text 400 that echoes the body
 * (and a batch is not part of that protocol version), so it is refused here first, as a
 * JSON-RPC error like every other refusal of the MCP endpoints.
 */
export const assertSseMessage = (req: IncomingMessage, body: unknown): void => {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json') throw new HttpRefusal(415, -32600, 'Unsupported Media Type: send application/json');
  if (!JSONRPCMessageSchema.safeParse(body).success) throw new HttpRefusal(400, -32600, 'Invalid Request: the body is not one JSON-RPC message');
};
