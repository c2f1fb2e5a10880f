import type { ServerResponse } from 'node:http';

/** A refusal of an MCP HTTP request: the HTTP status, and the JSON-RPC error an MCP client can show. */
export class HttpRefusal extends Error {
  override readonly name = 'HttpRefusal';
  constructor(
    readonly status: number,
    readonly rpcCode: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** A JSON-RPC error over HTTP: what an MCP client can show, with the HTTP status that fits. */
export const sendRefusal = (res: ServerResponse, refusal: HttpRefusal): void => {
  if (res.headersSent) return;
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: refusal.rpcCode, message: refusal.message }, id: null });
  res.writeHead(refusal.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...refusal.headers });
  res.end(body);
};
