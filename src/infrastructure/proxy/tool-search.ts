import MiniSearch from 'minisearch';
import type { McpTool } from '../upstream';

/** A tool as `search_tools` finds it: its exposed name and what a model needs to call it. */
export type FoundTool = Readonly<{
  name: string;
  title?: string;
  description?: string;
  inputSchema: McpTool['inputSchema'];
}>;

type IndexedTool = Readonly<{ id: number; name: string; title: string; description: string; parameters: string; server: string }>;

/** Words that say nothing about which tool is meant ("I want to get the list of my issues"). */
const STOP_WORDS = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'can', 'do', 'for', 'from', 'how', 'i', 'in', 'is', 'it', 'me', 'my', 'of', 'on',
  'or', 'please', 'some', 'that', 'the', 'this', 'to', 'use', 'want', 'what', 'which', 'with', 'you', 'your',
]);

/**
 * Words of a name or a text: `list_pull_requests`, `listPullRequests` and "list pull requests"
 * give the same words, so a model's plain-language query meets the tools' identifiers.
 */
export const wordsOf = (text: string): string[] =>
  text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');

/** The names and descriptions of a JSON Schema's top-level properties, as text to search. */
const parametersText = (schema: McpTool['inputSchema']): string => {
  const properties = (schema as { properties?: Record<string, { description?: unknown }> }).properties ?? {};
  return Object.entries(properties)
    .map(([name, property]) => `${name} ${typeof property?.description === 'string' ? property.description : ''}`)
    .join(' ');
};

/**
 * A lexical index (BM25 through MiniSearch) over one profile's exposed tools: name, title,
 * description, parameter names and descriptions, and the server's name, weighted in that
 * order. Local and deterministic: no model, no network. Built once per list of tools.
 */
export class ToolSearchIndex {
  private readonly index: MiniSearch<IndexedTool>;

  constructor(
    private readonly tools: readonly McpTool[],
    serverOf: (tool: McpTool) => string,
  ) {
    this.index = new MiniSearch<IndexedTool>({
      fields: ['name', 'title', 'description', 'parameters', 'server'],
      storeFields: [],
      tokenize: wordsOf,
      processTerm: (term) => (STOP_WORDS.has(term) ? null : term),
      searchOptions: {
        boost: { name: 3, title: 2, description: 1, parameters: 0.5, server: 1.5 },
        prefix: (term) => term.length >= 3,
        fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
        combineWith: 'OR',
      },
    });
    this.index.addAll(
      tools.map((tool, id) => ({
        id,
        name: tool.name,
        title: tool.title ?? '',
        description: tool.description ?? '',
        parameters: parametersText(tool.inputSchema),
        server: serverOf(tool),
      })),
    );
  }

  get size(): number {
    return this.tools.length;
  }

  /** The best `limit` matches, best first; none for a query without a searchable word. */
  search(query: string, limit: number): FoundTool[] {
    return this.index
      .search(query)
      .slice(0, limit)
      .map(({ id }) => {
        const tool = this.tools[id as number];
        return {
          name: tool.name,
          ...(tool.title !== undefined ? { title: tool.title } : {}),
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          inputSchema: tool.inputSchema,
        };
      });
  }
}
