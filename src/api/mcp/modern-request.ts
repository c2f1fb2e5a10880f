/**
 * MCP 2026-07-28 on the same `/mcp/<slug>` URL as 2025-11-25: which POSTs belong to the
 * stateless revision, and the spec's answers to those that are malformed. Pure: headers and a
 * parsed body in, a verdict out. The rules follow the spec's Streamable HTTP section and the
 * order the official SDK and conformance suite check them in:
 *
 * 1. A request with an `Mcp-Session-Id`, a batch, an `initialize` without a valid 2026 envelope
 *    and anything without a 2026 claim (neither `_meta` protocolVersion nor a 2026
 *    `MCP-Protocol-Version` header) is 2025 traffic: the session endpoint serves it unchanged.
 * 2. A claimed request whose envelope lacks protocolVersion or clientCapabilities: -32602, 400.
 * 3. `MCP-Protocol-Version` or `Mcp-Method` disagreeing with the body: -32020 (HeaderMismatch), 400.
 * 4. A version this endpoint does not serve in the stateless era: -32022 listing the supported ones, 400.
 * 5. Missing `MCP-Protocol-Version` / `Mcp-Method`, or an `Mcp-Name` that is missing, badly
 *    encoded or names something else than `params.name` / `params.uri`: -32020, 400.
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';

export const MODERN_PROTOCOL_VERSION = '2026-07-28';
/** Revisions served statelessly (per-request `_meta`). */
export const MODERN_VERSIONS: readonly string[] = [MODERN_PROTOCOL_VERSION];
/** Everything the endpoint speaks: the stateless revision, then the session ones (initialize). */
export const SUPPORTED_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...SUPPORTED_PROTOCOL_VERSIONS];

export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

export const HEADER_MISMATCH = -32020;
export const MISSING_CLIENT_CAPABILITY = -32021;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

export type RequestId = string | number;
export type Json = Record<string, unknown>;

/** What the endpoint reads of the HTTP request besides the body (header values as sent, or undefined). */
export type ModernHeaders = Readonly<{
  sessionId?: string;
  protocolVersion?: string;
  method?: string;
  name?: string;
}>;

export type ModernRequest = Readonly<{ id: RequestId; method: string; params: Json; meta: Json; version: string }>;

export type Verdict =
  | { readonly kind: 'legacy' }
  | { readonly kind: 'request'; readonly request: ModernRequest }
  | { readonly kind: 'notification'; readonly method: string }
  | { readonly kind: 'refused'; readonly status: number; readonly id: RequestId | null; readonly code: number; readonly message: string; readonly data?: unknown };

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

const isModernVersion = (version: string): boolean => version >= MODERN_PROTOCOL_VERSION;

/** RFC 9110 optional whitespace around a field value. */
const trimmed = (value: string | undefined): string | undefined => (value === undefined ? undefined : value.replace(/^[ \t]+|[ \t]+$/g, ''));

const BASE64_SENTINEL = /^=\?base64\?((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)\?=$/;

/** An `Mcp-Name` value as the body would carry it: plain, or UTF-8 in the `=?base64?…?=` sentinel; undefined when that is malformed. */
export const decodeHeaderValue = (value: string): string | undefined => {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  const match = BASE64_SENTINEL.exec(value);
  if (!match) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(match[1], 'base64'));
  } catch {
    return undefined;
  }
};

/** Which body field `Mcp-Name` mirrors, per method (spec: standard headers). */
const NAME_SOURCE: Readonly<Record<string, string>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

const metaOf = (params: unknown): Json | undefined => (isObject(params) && isObject(params._meta) ? params._meta : undefined);

const hasClaim = (params: unknown): boolean => {
  const meta = metaOf(params);
  return meta !== undefined && META.protocolVersion in meta;
};

/** The first problem of a 2026 envelope, or undefined when it is valid (clientInfo is a SHOULD). */
export const envelopeProblem = (meta: Json | undefined): string | undefined => {
  if (meta === undefined) return '_meta: missing';
  if (!(META.protocolVersion in meta)) return `${META.protocolVersion}: missing`;
  if (!(META.clientCapabilities in meta)) return `${META.clientCapabilities}: missing`;
  if (typeof meta[META.protocolVersion] !== 'string') return `${META.protocolVersion}: expected a protocol version string`;
  if (!isObject(meta[META.clientCapabilities])) return `${META.clientCapabilities}: expected an object`;
  const info = meta[META.clientInfo];
  if (info !== undefined && !(isObject(info) && typeof info.name === 'string' && typeof info.version === 'string')) return `${META.clientInfo}: expected {name, version}`;
  return undefined;
};

const refuse = (status: number, id: RequestId | null, code: number, message: string, data?: unknown): Verdict => ({ kind: 'refused', status, id, code, message, ...(data === undefined ? {} : { data }) });

const mismatch = (id: RequestId | null, message: string): Verdict => refuse(400, id, HEADER_MISMATCH, `Header mismatch: ${message}`);

export const unsupportedVersion = (id: RequestId | null, requested: string | undefined): Verdict =>
  refuse(400, id, UNSUPPORTED_PROTOCOL_VERSION, `Unsupported protocol version${requested === undefined ? '' : ` ${requested}`}: this endpoint supports ${SUPPORTED_VERSIONS.join(', ')}`, {
    supported: [...SUPPORTED_VERSIONS],
    ...(requested === undefined ? {} : { requested }),
  });

const requestIdOf = (body: Json): RequestId | null => (typeof body.id === 'string' || typeof body.id === 'number' ? body.id : null);

const isRequest = (body: Json): boolean => typeof body.method === 'string' && (typeof body.id === 'string' || typeof body.id === 'number');
const isNotification = (body: Json): boolean => typeof body.method === 'string' && !('id' in body);

/** The standard headers a 2026 request must carry (presence and `Mcp-Name`). */
const standardHeaderProblem = (headers: ModernHeaders, method: string, params: Json): string | undefined => {
  if (headers.protocolVersion === undefined) return 'the MCP-Protocol-Version header is required';
  if (headers.method === undefined) return `the Mcp-Method header is required (the body names ${method})`;
  const field = NAME_SOURCE[method];
  if (field === undefined) return undefined;
  const value = typeof params[field] === 'string' ? (params[field] as string) : undefined;
  if (headers.name === undefined) return value === undefined ? undefined : `the Mcp-Name header is required (params.${field} is "${value}")`;
  const decoded = decodeHeaderValue(headers.name);
  if (decoded === undefined) return 'the Mcp-Name header carries an invalid base64 value';
  if (value !== undefined && decoded !== value) return `params.${field} is "${value}" but the Mcp-Name header names "${decoded}"`;
  return undefined;
};

/** Classifies one POST to `/mcp/<slug>` (see the module comment for the order of the rules). */
export const classify = (rawHeaders: ModernHeaders, body: unknown): Verdict => {
  if (rawHeaders.sessionId !== undefined && rawHeaders.sessionId !== '') return { kind: 'legacy' };
  if (!isObject(body)) return { kind: 'legacy' };
  const headers: ModernHeaders = { protocolVersion: trimmed(rawHeaders.protocolVersion), method: trimmed(rawHeaders.method), name: trimmed(rawHeaders.name) };
  const headerModern = headers.protocolVersion !== undefined && isModernVersion(headers.protocolVersion);
  const id = requestIdOf(body);
  const method = typeof body.method === 'string' ? body.method : '';
  const claimed = hasClaim(body.params);

  if (isNotification(body)) {
    if (!claimed && !headerModern) return { kind: 'legacy' };
    if (headers.method !== undefined && headers.method !== method) return mismatch(null, `the body names ${method} but the Mcp-Method header names ${headers.method}`);
    return { kind: 'notification', method };
  }
  if (!isRequest(body)) return { kind: 'legacy' };
  const meta = metaOf(body.params);
  if (method === 'initialize' && !(claimed && envelopeProblem(meta) === undefined && isModernVersion(String(meta?.[META.protocolVersion])))) {
    if (headerModern) return mismatch(id, 'an initialize request (the 2025 handshake) was sent with a 2026 MCP-Protocol-Version header');
    return { kind: 'legacy' };
  }
  if (!claimed && !headerModern) return { kind: 'legacy' };

  const problem = envelopeProblem(meta);
  if (problem !== undefined) return refuse(400, id, -32602, `Invalid params: the per-request _meta envelope is invalid: ${problem}`, { envelope: problem });
  const version = meta?.[META.protocolVersion] as string;
  if (headers.protocolVersion !== undefined && headers.protocolVersion !== version) {
    return mismatch(id, `the body names protocol version ${version} but the MCP-Protocol-Version header names ${headers.protocolVersion}`);
  }
  if (headers.method !== undefined && headers.method !== method) return mismatch(id, `the body names ${method} but the Mcp-Method header names ${headers.method}`);
  if (!MODERN_VERSIONS.includes(version)) return unsupportedVersion(id, version);
  const params = isObject(body.params) ? body.params : {};
  const headerProblem = standardHeaderProblem(headers, method, params);
  if (headerProblem !== undefined) return mismatch(id, headerProblem);
  return { kind: 'request', request: { id: id as RequestId, method, params, meta: meta as Json, version } };
};
