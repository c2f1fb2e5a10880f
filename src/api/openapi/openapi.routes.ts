import Router from '@koa/router';
import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../infrastructure/gateway';
import type { ProxyProfile } from '../../infrastructure/proxy/profile-config';
import { wireMessage, type McpCallToolResult, type McpTool } from '../../infrastructure/upstream';
import { HttpRefusal } from '../../infrastructure/transports/streamable-http';
import { DownstreamSession } from '../mcp/downstream-session';
import { authenticate, type Caller, readJsonBody } from '../mcp/http-guards';
import { ProblemError } from '../rest/problem';
import type { AuthFailureLimiter } from '../security/auth-failures';
import { limitedRefusal } from '../security/mcp-auth';
import { UNAVAILABLE_META } from '../../infrastructure/proxy/gateway-tools';
import { DOCS_CSP, docsAsset, docsPage } from './docs-page';
import { openApiDocument } from './openapi-document';

export type OpenApiOptions = Readonly<{ gateway: Gateway; authFailures: AuthFailureLimiter }>;

/** Input schemas compiled once per schema text; bounded, as the tools of every profile pass through. */
class SchemaCache {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: false });
  private readonly compiled = new Map<string, ValidateFunction | null>();

  /** `uncompilable` hears of a schema that cannot be compiled, once per schema text kept. */
  constructor(private readonly uncompilable: (tool: string, error: unknown) => void) {}

  validator(tool: McpTool): ValidateFunction | null {
    const schema = tool.inputSchema;
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      try {
        // Tools often name draft-07 as their `$schema`; its keywords mean the same here, and Ajv
        // would refuse a dialect it was not set up for.
        const { $schema: _dialect, ...rest } = schema as Record<string, unknown>;
        validate = this.ajv.compile(rest);
      } catch (error) {
        // A schema Ajv cannot compile is the upstream's to fix: the call goes through unchecked, and the log says so.
        this.uncompilable(tool.name, error);
        validate = null;
      }
      if (this.compiled.size >= 1_000) this.compiled.delete(this.compiled.keys().next().value as string);
      this.compiled.set(key, validate);
    }
    return validate;
  }
}

const refusalToProblem = (refusal: HttpRefusal): ProblemError => {
  const code = refusal.status === 401 ? 'UNAUTHORIZED' : refusal.status === 403 ? 'FORBIDDEN' : refusal.status === 413 ? 'PAYLOAD_TOO_LARGE' : refusal.status === 429 ? 'TOO_MANY_AUTH_FAILURES' : 'BAD_REQUEST';
  return new ProblemError(refusal.status, code, refusal.message, undefined, refusal.headers);
};

/**
 * One MCP session of the profile, in memory, for one HTTP request: the same path as a client on
 * the MCP endpoint (names, overrides, inactive tools, timeouts, debug logs, metrics), closed
 * when the request is answered.
 */
const withSession = async <T>(gateway: Gateway, profile: ProxyProfile, caller: Caller, use: (client: Client) => Promise<T>): Promise<T> => {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const session = DownstreamSession.open(gateway, { sessionId: randomUUID(), profile, keyId: caller.keyId, userId: caller.userId, transport: serverSide });
  const client = new Client({ name: 'gatehouse-openapi', version: '1.0.0' }, { capabilities: {} });
  try {
    await session.opened;
    await client.connect(clientSide);
    return await use(client);
  } finally {
    // The answer does not depend on these; a close that fails is logged, not the request's error.
    const logged = (what: string) => (error: unknown) => gateway.observability.log('warn', what, { error: String(error) });
    await client.close().catch(logged('openapi: closing the in-memory client failed'));
    await session.close().catch(logged('openapi: closing the in-memory session failed'));
  }
};

const listTools = async (client: Client): Promise<McpTool[]> => {
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    tools.push(...(page.tools as McpTool[]));
    cursor = page.nextCursor;
  } while (cursor !== undefined && tools.length < 100_000);
  return tools;
};

const textOf = (result: McpCallToolResult): string =>
  (result.content ?? []).flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');

/** A JSON-RPC error of the call as HTTP: a timeout 504, anything else the server did 502. */
const callFailure = (error: unknown, tool: string): ProblemError => {
  if (error instanceof McpError) {
    const message = wireMessage(error);
    if (error.code === ErrorCode.RequestTimeout) return new ProblemError(504, 'UPSTREAM_TIMEOUT', message);
    // The gateway's own "not in this profile" (its reason), not an upstream's -32602 passed through.
    if (error.code === ErrorCode.InvalidParams && (error.data as { reason?: unknown } | undefined)?.reason === 'UNKNOWN_TOOL') return new ProblemError(404, 'TOOL_NOT_FOUND', `No tool "${tool}" in this profile`);
    return new ProblemError(502, 'UPSTREAM_ERROR', message);
  }
  throw error;
};

/**
 * Every profile as an OpenAPI service: `GET /openapi/<slug>/openapi.json` and one
 * `POST /openapi/<slug>/tools/<exposed name>` per tool, with the profile's API keys. Bad input
 * is problem+json and never reaches the upstream.
 */
export const openApiRoutes = ({ gateway, authFailures }: OpenApiOptions): Router => {
  const router = new Router({ prefix: '/openapi' });
  const schemas = new SchemaCache((tool, error) =>
    gateway.observability.log('warn', 'openapi: a tool\'s input schema does not compile; its calls go to the upstream unchecked', { tool, error: String(error) }),
  );

  const open = async (ctx: Context): Promise<{ profile: ProxyProfile; caller: Caller }> => {
    const profile = await gateway.profiles.bySlug(String(ctx.params.slug));
    if (!profile) throw new ProblemError(404, 'PROFILE_NOT_FOUND', `Profile "${String(ctx.params.slug)}" not found`);
    const url = new URL(ctx.url, 'http://gateway.invalid');
    try {
      return { profile, caller: await authenticate(gateway.keys, ctx.req, url, profile) };
    } catch (error) {
      if (error instanceof HttpRefusal) throw refusalToProblem(limitedRefusal(authFailures, ctx.req, url, error));
      throw error;
    }
  };

  router.get('/_assets/:file', (ctx) => {
    const asset = docsAsset(String(ctx.params.file));
    if (!asset) throw new ProblemError(404, 'NOT_FOUND', 'No such asset');
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = asset.type;
    ctx.body = asset.body;
  });

  /** The docs page needs no key: it holds only the slug, and asks for the key to fetch the document. */
  router.get('/:slug/docs', async (ctx) => {
    const profile = await gateway.profiles.bySlug(String(ctx.params.slug));
    if (!profile) throw new ProblemError(404, 'PROFILE_NOT_FOUND', `Profile "${String(ctx.params.slug)}" not found`);
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = docsPage(profile.slug);
  });

  router.get('/:slug/openapi.json', async (ctx) => {
    const { profile, caller } = await open(ctx);
    const tools = await withSession(gateway, profile, caller, listTools);
    const { document, etag } = openApiDocument({ slug: profile.slug, apiKey: profile.auth.apiKey }, tools);
    ctx.set('ETag', etag);
    ctx.set('Cache-Control', 'no-cache');
    if (ctx.get('If-None-Match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.body = document;
  });

  router.post('/:slug/tools/:name', async (ctx) => {
    const { profile, caller } = await open(ctx);
    let body: unknown;
    try {
      body = await readJsonBody(ctx.req);
    } catch (error) {
      if (error instanceof HttpRefusal) throw refusalToProblem(error);
      throw error;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ProblemError(400, 'VALIDATION_FAILED', 'The body must be a JSON object: the tool\'s arguments');
    const name = String(ctx.params.name);
    const outcome = await withSession(gateway, profile, caller, async (client) => {
      const tool = (await listTools(client)).find((candidate) => candidate.name === name);
      if (!tool) throw new ProblemError(404, 'TOOL_NOT_FOUND', `No tool "${name}" in this profile (unknown or inactive)`);
      const validate = schemas.validator(tool);
      if (validate && !validate(body)) {
        const errors = (validate.errors ?? []).map((error) => ({ field: error.instancePath === '' ? '(body)' : error.instancePath, messages: [error.message ?? 'is invalid'] }));
        throw new ProblemError(400, 'VALIDATION_FAILED', `The body does not match the input schema of "${name}"`, errors);
      }
      try {
        return { tool, result: (await client.callTool({ name, arguments: body as Record<string, unknown> })) as McpCallToolResult };
      } catch (error) {
        throw callFailure(error, name);
      }
    });
    const { tool, result } = outcome;
    const unavailable = (result._meta as Record<string, unknown> | undefined)?.[UNAVAILABLE_META];
    if (unavailable !== undefined) throw new ProblemError(502, 'UPSTREAM_UNAVAILABLE', textOf(result));
    if (tool.outputSchema) {
      if (result.isError) throw new ProblemError(422, 'TOOL_ERROR', textOf(result) || `"${name}" reported an error`);
      ctx.body = result.structuredContent ?? {};
      return;
    }
    ctx.body = { content: result.content, ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}), ...(result.isError ? { isError: true } : {}) };
  });

  return router;
};
