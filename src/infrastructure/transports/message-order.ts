import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isJsonRpcResponse } from './jsonrpc';

/**
 * Delivers messages read together (one chunk of a pipe or of an event stream) in the order the
 * SDK's Protocol needs: it runs notification handlers a microtask after delivery but settles a
 * response at once, so a progress notification that arrived just before its request's answer
 * would find the request gone. Responses go one microtask later, after the handlers queued
 * before them; everything else goes at once.
 */
export const deliverInOrder = (message: JSONRPCMessage, deliver: (message: JSONRPCMessage) => void): void => {
  if (isJsonRpcResponse(message)) queueMicrotask(() => deliver(message));
  else deliver(message);
};
