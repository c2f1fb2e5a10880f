import type { McpCallToolResult, McpTool } from '../upstream';
import type { FoundTool } from './tool-search';

/**
 * The two tools a profile in `search` exposure lists instead of its own: a model finds tools
 * with `search_tools` and runs one with `call_tool`, and only what it found enters its context.
 */
export const SEARCH_TOOLS = 'search_tools';
export const CALL_TOOL = 'call_tool';

export const MAX_QUERY_LENGTH = 1024;
export const DEFAULT_SEARCH_LIMIT = 5;
export const MAX_SEARCH_LIMIT = 20;

export const GATEWAY_TOOLS: readonly McpTool[] = [
  {
    name: SEARCH_TOOLS,
    title: 'Search tools',
    description:
      'Finds the tools that can do a task. Describe the task in a few words; the answer lists the best matching tools with their ' +
      `names, descriptions and input schemas. Run one with ${CALL_TOOL}.`,
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'What the tool should do, in a few words', minLength: 1, maxLength: MAX_QUERY_LENGTH },
        limit: { type: 'integer', description: `How many tools at most (default ${DEFAULT_SEARCH_LIMIT})`, minimum: 1, maximum: MAX_SEARCH_LIMIT },
      },
      required: ['query'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: { tools: { type: 'array', items: { type: 'object' } } },
      required: ['tools'],
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: CALL_TOOL,
    title: 'Call a tool',
    description: `Runs a tool that ${SEARCH_TOOLS} found, by its name, with arguments that follow its input schema.`,
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', description: `The tool's name as ${SEARCH_TOOLS} gave it`, minLength: 1 },
        arguments: { type: 'object', description: "The tool's arguments" },
      },
      required: ['name'],
      additionalProperties: false,
    },
  },
];

/**
 * The `_meta` key of a tool error that says the tool's server cannot be reached (not the tool's
 * own failure): HTTP callers (the OpenAPI service) answer it 502.
 */
export const UNAVAILABLE_META = 'gatehouse/unavailable';

/** A tool error the model reads (bad arguments are its to correct, not a protocol failure). */
export const toolError = (text: string): McpCallToolResult => ({ content: [{ type: 'text', text }], isError: true });

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const unexpectedFields = (args: Record<string, unknown>, allowed: readonly string[]): string[] =>
  Object.keys(args).filter((key) => !allowed.includes(key));

/** `search_tools` arguments, or what is wrong with them. */
export const parseSearchArguments = (args: unknown): { query: string; limit: number } | { problem: string } => {
  if (!isPlainObject(args)) return { problem: `${SEARCH_TOOLS} takes an object: {"query": "...", "limit": 5}` };
  const extra = unexpectedFields(args, ['query', 'limit']);
  if (extra.length > 0) return { problem: `${SEARCH_TOOLS} has no argument ${extra.map((key) => `"${key}"`).join(', ')}` };
  const { query, limit = DEFAULT_SEARCH_LIMIT } = args;
  if (typeof query !== 'string' || query.trim() === '') return { problem: 'query must be a non-empty string' };
  if (query.length > MAX_QUERY_LENGTH) return { problem: `query must have at most ${MAX_QUERY_LENGTH} characters` };
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    return { problem: `limit must be an integer from 1 to ${MAX_SEARCH_LIMIT}` };
  }
  return { query, limit };
};

/** `call_tool` arguments, or what is wrong with them. */
export const parseCallArguments = (args: unknown): { name: string; arguments: Record<string, unknown> } | { problem: string } => {
  if (!isPlainObject(args)) return { problem: `${CALL_TOOL} takes an object: {"name": "...", "arguments": {...}}` };
  const extra = unexpectedFields(args, ['name', 'arguments']);
  if (extra.length > 0) return { problem: `${CALL_TOOL} has no argument ${extra.map((key) => `"${key}"`).join(', ')}` };
  const { name, arguments: toolArguments = {} } = args;
  if (typeof name !== 'string' || name === '') return { problem: 'name must be a non-empty string' };
  if (name === SEARCH_TOOLS || name === CALL_TOOL) return { problem: `${CALL_TOOL} runs the profile's tools; call ${name} directly` };
  if (!isPlainObject(toolArguments)) return { problem: 'arguments must be an object' };
  return { name, arguments: toolArguments };
};

/** What `search_tools` answers: the tools as structured content, and the same as JSON text. */
export const searchResult = (tools: readonly FoundTool[]): McpCallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify({ tools }) }],
  structuredContent: { tools },
});
