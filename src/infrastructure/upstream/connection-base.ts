import type { AnyObjectSchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import {
  CallToolResultSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptResultSchema,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
  ReadResourceResultSchema,
  ResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { UpstreamError } from './errors';
import type {
  McpCallToolParams,
  McpCallToolResult,
  McpCompleteParams,
  McpCompleteResult,
  McpGetPromptParams,
  McpGetPromptResult,
  McpImplementation,
  McpLoggingLevel,
  McpPrompt,
  McpReadResourceParams,
  McpReadResourceResult,
  McpResource,
  McpResourceTemplate,
  McpServerCapabilities,
  McpTool,
  UpstreamConnection,
  UpstreamHandlers,
  UpstreamRequestOptions,
  UpstreamSpec,
} from './types';

/** A server that keeps handing out cursors is broken; stop rather than loop forever. */
export const MAX_LIST_PAGES = 200;

export type RequestParams = Record<string, unknown> | undefined;

/**
 * The typed MCP methods, written once on top of a single `send`. The direct SDK connection
 * and the supervisor both extend this, so they cannot drift apart in what they offer.
 */
export abstract class UpstreamConnectionBase implements UpstreamConnection {
  abstract readonly serverCapabilities: McpServerCapabilities | undefined;
  abstract readonly serverInfo: McpImplementation | undefined;
  abstract readonly instructions: string | undefined;
  /** Who errors are about; may change when a supervisor is reconfigured. */
  protected abstract identity(): Pick<UpstreamSpec, 'id' | 'name'>;

  /**
   * Sends one request and validates its result with an SDK schema. Public only so a
   * supervisor can delegate to the connection it holds; callers outside this folder use the
   * typed methods or `request`.
   */
  abstract send<S extends AnyObjectSchema>(
    method: string,
    params: RequestParams,
    resultSchema: S,
    options?: UpstreamRequestOptions,
  ): Promise<SchemaOutput<S>>;
  abstract notifyRootsListChanged(): Promise<void>;
  abstract setHandlers(handlers: UpstreamHandlers): void;
  abstract close(): Promise<void>;

  listTools(options?: UpstreamRequestOptions): Promise<McpTool[]> {
    return this.collectPages('tools/list', ListToolsResultSchema, (page) => page.tools, options);
  }

  listPrompts(options?: UpstreamRequestOptions): Promise<McpPrompt[]> {
    return this.collectPages('prompts/list', ListPromptsResultSchema, (page) => page.prompts, options);
  }

  listResources(options?: UpstreamRequestOptions): Promise<McpResource[]> {
    return this.collectPages('resources/list', ListResourcesResultSchema, (page) => page.resources, options);
  }

  listResourceTemplates(options?: UpstreamRequestOptions): Promise<McpResourceTemplate[]> {
    return this.collectPages(
      'resources/templates/list',
      ListResourceTemplatesResultSchema,
      (page) => page.resourceTemplates,
      options,
    );
  }

  callTool(params: McpCallToolParams, options?: UpstreamRequestOptions): Promise<McpCallToolResult> {
    return this.send('tools/call', params, CallToolResultSchema, options);
  }

  getPrompt(params: McpGetPromptParams, options?: UpstreamRequestOptions): Promise<McpGetPromptResult> {
    return this.send('prompts/get', params, GetPromptResultSchema, options);
  }

  readResource(params: McpReadResourceParams, options?: UpstreamRequestOptions): Promise<McpReadResourceResult> {
    return this.send('resources/read', params, ReadResourceResultSchema, options);
  }

  async subscribe(uri: string, options?: UpstreamRequestOptions): Promise<void> {
    await this.send('resources/subscribe', { uri }, EmptyResultSchema, options);
  }

  async unsubscribe(uri: string, options?: UpstreamRequestOptions): Promise<void> {
    await this.send('resources/unsubscribe', { uri }, EmptyResultSchema, options);
  }

  complete(params: McpCompleteParams, options?: UpstreamRequestOptions): Promise<McpCompleteResult> {
    return this.send('completion/complete', params, CompleteResultSchema, options);
  }

  async setLoggingLevel(level: McpLoggingLevel, options?: UpstreamRequestOptions): Promise<void> {
    await this.send('logging/setLevel', { level }, EmptyResultSchema, options);
  }

  async ping(options?: UpstreamRequestOptions): Promise<void> {
    await this.send('ping', undefined, EmptyResultSchema, options);
  }

  request(method: string, params?: Record<string, unknown>, options?: UpstreamRequestOptions) {
    // ResultSchema is loose: unknown fields survive, so the proxy can forward the result verbatim.
    return this.send(method, params, ResultSchema, options) as Promise<Record<string, unknown>>;
  }

  private async collectPages<S extends AnyObjectSchema, T>(
    method: string,
    schema: S,
    itemsOf: (page: SchemaOutput<S>) => T[],
    options?: UpstreamRequestOptions,
  ): Promise<T[]> {
    const items: T[] = [];
    const seenCursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result = await this.send(method, cursor === undefined ? undefined : { cursor }, schema, options);
      items.push(...itemsOf(result));
      cursor = (result as { nextCursor?: string }).nextCursor;
      if (cursor === undefined) return items;
      if (seenCursors.has(cursor)) {
        throw new UpstreamError('UPSTREAM_PROTOCOL_ERROR', this.identity(), `${method} repeated cursor ${cursor}`);
      }
      seenCursors.add(cursor);
    }
    throw new UpstreamError('UPSTREAM_PROTOCOL_ERROR', this.identity(), `${method} returned over ${MAX_LIST_PAGES} pages`);
  }
}
