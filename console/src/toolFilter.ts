/** A tool row of GET /api/profiles/:slug/tools, as the table reads it. */
export type EffectiveTool = {
  exposedName: string;
  serverId: string;
  serverName: string;
  originalName: string;
  status: 'active' | 'inactive';
  toolStatus: 'active' | 'inactive';
  serverStatus: 'active' | 'inactive';
  discovered: boolean;
  title: string | null;
  description: string | null;
  overrides: { name: string | null; title: string | null; description: string | null; annotations: unknown };
  /** The upstream's definition differs from the one approved or, never approved, first seen. */
  changedUpstream: boolean;
};

export type ToolFilter = 'all' | 'active' | 'hidden' | 'overridden' | 'changed' | 'undiscovered';

export type ToolQuery = { text: string; regex: boolean; filter: ToolFilter };

const isOverridden = (tool: EffectiveTool): boolean =>
  tool.overrides.name !== null || tool.overrides.title !== null || tool.overrides.description !== null || (tool.overrides.annotations !== null && tool.overrides.annotations !== undefined);

const FILTERS: Record<ToolFilter, (tool: EffectiveTool) => boolean> = {
  all: () => true,
  active: (tool) => tool.status === 'active',
  hidden: (tool) => tool.toolStatus === 'inactive',
  overridden: isOverridden,
  changed: (tool) => tool.changedUpstream,
  undiscovered: (tool) => !tool.discovered,
};

/** A search matcher: a case-insensitive substring, or a regular expression (an invalid one is reported, not thrown). */
export const matcherOf = (text: string, regex: boolean): { test: (value: string) => boolean; error: string | null } => {
  if (text === '') return { test: () => true, error: null };
  if (!regex) {
    const needle = text.toLowerCase();
    return { test: (value) => value.toLowerCase().includes(needle), error: null };
  }
  try {
    const pattern = new RegExp(text, 'i');
    return { test: (value) => pattern.test(value), error: null };
  } catch (error) {
    return { test: () => false, error: error instanceof Error ? error.message : String(error) };
  }
};

/** Between fields of a search key: a search without it cannot match across two fields. */
const SEPARATOR = '\u0000';

/** The tools of one answer of the API with, for each, the fields a plain search looks at, lowercased and joined. */
export type ToolIndex = Readonly<{ tools: readonly EffectiveTool[]; keys: readonly string[] }>;

/**
 * Made once per answer of the API (the table memoises it on the answer), when the tools arrive:
 * not in the first keystroke, which otherwise lowercased 2,000 tools' fields before it could filter.
 */
export const indexTools = (tools: readonly EffectiveTool[]): ToolIndex => ({
  tools,
  keys: tools.map((tool) => [tool.exposedName, tool.originalName, tool.serverName, tool.description ?? ''].join(SEPARATOR).toLowerCase()),
});

/**
 * The rows that match the search (over exposed name, original name, server and description)
 * and the filter. One pass, no allocation per row beyond the result: the table filters on each
 * keystroke (budget: 2,000 tools in ≤ 50 ms).
 */
export const filterTools = (index: ToolIndex, query: ToolQuery): { tools: readonly EffectiveTool[]; error: string | null } => {
  const { tools, keys } = index;
  const keep = FILTERS[query.filter];
  const result: EffectiveTool[] = [];
  // A plain search: one substring test of each tool's precomputed key.
  if (!query.regex && query.text !== '' && !query.text.includes(SEPARATOR)) {
    const needle = query.text.toLowerCase();
    for (let i = 0; i < tools.length; i++) if (keys[i].includes(needle) && keep(tools[i])) result.push(tools[i]);
    return { tools: result, error: null };
  }
  if (query.text === '' && query.filter === 'all') return { tools, error: null };
  const matcher = matcherOf(query.text, query.regex);
  for (const tool of tools) {
    if (!keep(tool)) continue;
    if (matcher.test(tool.exposedName) || matcher.test(tool.originalName) || matcher.test(tool.serverName) || (tool.description !== null && matcher.test(tool.description))) result.push(tool);
  }
  return { tools: result, error: matcher.error };
};

export const toolKey = (tool: Pick<EffectiveTool, 'serverId' | 'originalName'>): string => `${tool.serverId}\u0000${tool.originalName}`;
