/**
 * Gatehouse's own Streamable HTTP transports, on Node's `http` (kept beside the SDK's for a
 * measured reason: the SDK's fetch and web-stream adapters cost most of a proxied call's CPU;
 * see the README's proxy benchmark). Both implement the SDK's `Transport`, so the SDK's Client
 * and Server run on them unchanged. The official conformance suite, run by `.ci/run` straight
 * against the fixture and through the gateway, is their contract.
 *
 * - `StreamableHttpClientTransport`: to an upstream (POST, the session's GET stream, resumption).
 * - `StreamableHttpServerTransport`: one downstream session; the MCP endpoint hands it each
 *   request after `readPostMessages` has checked what the spec requires of a POST.
 * - `HttpRefusal`: a refused request (HTTP status and JSON-RPC error), sent with `sendRefusal`.
 * - `EventStream`, `messageEvent`: the SSE framing and keep-alive of a response that streams
 *   (the 2026-07-28 endpoint's progress and `subscriptions/listen` streams use them too).
 * - `nodeFetch`: a fetch on Node's `http`, for the SDK v2 client's transport to a 2026 upstream.
 */
export { StreamableHttpClientTransport, type StreamableHttpClientOptions } from './client';
export { isInitialize, readPostMessages, type PostMessages } from './checks';
export { EventStream, messageEvent } from './event-stream';
export { HEADERS_TIMEOUT_MS, nodeFetch, type NodeFetch } from './node-fetch';
export { HttpRefusal, sendRefusal } from './refusal';
export { StreamableHttpServerTransport } from './server';
