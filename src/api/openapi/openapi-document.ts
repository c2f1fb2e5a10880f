import { createHash } from 'node:crypto';
import type { McpTool } from '../../infrastructure/upstream';

/** Where a profile's OpenAPI service lives: `/openapi/<slug>`, its document and operations under it. */
export const openApiBase = (slug: string): string => `/openapi/${encodeURIComponent(slug)}`;

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** What an operation answers for a tool without an output schema: the MCP tool result as is. */
const TOOL_RESULT_SCHEMA = {
  type: 'object',
  description: 'The MCP tool result: content blocks, and isError: true when the tool reports a failure (HTTP 200 all the same).',
  properties: {
    content: { type: 'array', items: { type: 'object' } },
    structuredContent: { type: 'object' },
    isError: { type: 'boolean' },
  },
  required: ['content'],
};

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    errors: { type: 'array', items: { type: 'object' } },
  },
  required: ['title', 'status'],
};

export type OpenApiDocument = Readonly<{ document: Record<string, unknown>; etag: string }>;

/**
 * An OpenAPI 3.1 document for one profile: one `POST /tools/<exposed name>` operation per tool
 * its MCP `tools/list` shows, the request body the tool's input schema (JSON Schema 2020-12,
 * which OpenAPI 3.1 takes as it is), the response its output schema's structured content or
 * the tool result. The ETag follows the tools, so a client can tell when to fetch it again.
 */
export const openApiDocument = (profile: Readonly<{ slug: string; apiKey: boolean }>, tools: readonly McpTool[]): OpenApiDocument => {
  const paths: Record<string, unknown> = {};
  for (const tool of tools) {
    paths[`/tools/${encodeURIComponent(tool.name)}`] = {
      post: {
        operationId: tool.name,
        summary: tool.title ?? tool.annotations?.title ?? tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        requestBody: { required: true, content: { 'application/json': { schema: tool.inputSchema } } },
        responses: {
          200: {
            description: tool.outputSchema ? "The tool's structured result" : 'The tool result',
            content: { 'application/json': { schema: tool.outputSchema ?? { $ref: '#/components/schemas/ToolResult' } } },
          },
          400: problemResponse('The body is not JSON or does not match the input schema (the tool was not called)'),
          ...(profile.apiKey ? { 401: problemResponse('No API key, or not a valid one'), 403: problemResponse('The key does not open this profile') } : {}),
          404: problemResponse('No such tool in this profile (unknown or inactive)'),
          413: problemResponse('The body is too large'),
          422: problemResponse('The tool reported an error in a tool with an output schema'),
          502: problemResponse('The server of the tool is unavailable, or it failed the call'),
          504: problemResponse('The server of the tool did not answer in time'),
        },
      },
    };
  }
  const document = {
    openapi: '3.1.0',
    info: {
      title: `Gatehouse profile "${profile.slug}"`,
      version: '1',
      description: "The profile's MCP tools as HTTP operations: the same names, overrides, inactive tools, keys and logs as its MCP endpoint.",
    },
    servers: [{ url: openApiBase(profile.slug) }],
    ...(profile.apiKey ? { security: [{ bearer: [] }, { apiKeyHeader: [] }] } : {}),
    paths,
    components: {
      schemas: { ToolResult: TOOL_RESULT_SCHEMA, Problem: PROBLEM_SCHEMA },
      ...(profile.apiKey
        ? {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', description: 'A Gatehouse API key that opens this profile' },
              apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
            },
          }
        : {}),
    },
  };
  const etag = `"${createHash('sha256').update(JSON.stringify(document)).digest('base64url').slice(0, 27)}"`;
  return { document, etag };
};
