import type { IncomingMessage } from 'node:http';
import { MAX_BATCH_SIZE } from '@modelcontextprotocol/sdk/server/requestBody.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import { isInitializeRequest, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { asJsonRpcMessage } from '../jsonrpc';
import { HttpRefusal } from './refusal';

/**
 * What a Streamable HTTP request must be before the transport takes it: the checks, statuses,
 * JSON-RPC codes and messages of the SDK's transport (webStandardStreamableHttp.js), in its
 * order, so that clients see the same refusals as before the gateway had its own transport.
 */

export type PostMessages = Readonly<{
  messages: readonly JSONRPCMessage[];
  /** The body was an array: the JSON answer is one too, whatever its length. */
  batch: boolean;
}>;

/** The SDK's predicate is a zod parse: only a message named `initialize` is worth one. */
export const isInitialize = (message: unknown): boolean =>
  (message as { method?: unknown } | null)?.method === 'initialize' && isInitializeRequest(message);

export const assertProtocolVersion = (req: IncomingMessage): void => {
  const version = req.headers['mcp-protocol-version'];
  if (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version as string)) return;
  throw new HttpRefusal(400, -32000, `Bad Request: Unsupported protocol version: ${String(version)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
};

export const assertAcceptsEventStream = (req: IncomingMessage): void => {
  if (!req.headers.accept?.includes('text/event-stream')) throw new HttpRefusal(406, -32000, 'Not Acceptable: Client must accept text/event-stream');
};

/**
 * The messages of a POST whose body is already parsed. `initialized`: whether the session it
 * goes to has been initialized (false only for the POST that creates one).
 */
export const readPostMessages = (req: IncomingMessage, body: unknown, initialized: boolean): PostMessages => {
  // A list of media ranges: the SDK checks substrings here on purpose (and parses Content-Type).
  const accept = req.headers.accept;
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
    throw new HttpRefusal(406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
  }
  if (!isJsonContentType(req.headers['content-type'])) throw new HttpRefusal(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
  const batch = Array.isArray(body);
  const raw: readonly unknown[] = batch ? body : [body];
  if (raw.length > MAX_BATCH_SIZE) throw new HttpRefusal(400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`);
  const messages: JSONRPCMessage[] = [];
  for (const value of raw) {
    const message = asJsonRpcMessage(value);
    if (message === undefined) throw new HttpRefusal(400, -32700, 'Parse error: Invalid JSON-RPC message');
    messages.push(message);
  }
  if (messages.some(isInitialize)) {
    if (initialized) throw new HttpRefusal(400, -32600, 'Invalid Request: Server already initialized');
    if (messages.length > 1) throw new HttpRefusal(400, -32600, 'Invalid Request: Only one initialization request is allowed');
  } else {
    if (!initialized) throw new HttpRefusal(400, -32000, 'Bad Request: Server not initialized');
    assertProtocolVersion(req);
  }
  return { messages, batch };
};
