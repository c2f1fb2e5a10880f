import type { ToolExposureMode } from '../../domain/profile/events';
import type { EffectiveTool } from '../readmodels/profile';
import { GATEWAY_TOOLS } from './gateway-tools';

/** The tokenizer the counts are made with: OpenAI's o200k_base, the encoding of its current models. */
export const TOKENIZER = 'gpt-tokenizer o200k_base';

export type ToolCost = Readonly<{ name: string; server: string; tokens: number }>;

export type ContextBudget = Readonly<{
  tokenizer: string;
  exposure: ToolExposureMode;
  /** Exposed tools, most expensive first: what each definition costs in `tools/list`. */
  tools: readonly ToolCost[];
  /**
   * What `tools/list` costs in each mode; `search` is the same whatever the profile holds, and
   * `adaptive` is the most it can grow to: the gateway's two tools and the `adaptiveToolLimit`
   * most expensive tools a session could find.
   */
  modes: Readonly<Record<ToolExposureMode, number>>;
}>;

type Count = (text: string) => number;

let counter: Promise<Count> | undefined;
/** The tokenizer's tables load on first use, not at start (a few MB a gateway may never need). */
const countTokens = (): Promise<Count> => {
  counter ??= import('gpt-tokenizer').then(
    (tokenizer) => (text: string) => tokenizer.countTokens(text),
    (error: unknown) => {
      counter = undefined; // a failed load is tried again by the next request
      throw error;
    },
  );
  return counter;
};

/** A tool as `tools/list` carries it, from what discovery recorded and the profile's overrides. */
const listedDefinition = (tool: EffectiveTool): Record<string, unknown> => ({
  name: tool.exposedName,
  ...(tool.title !== null ? { title: tool.title } : {}),
  ...(tool.description !== null ? { description: tool.description } : {}),
  inputSchema: tool.inputSchema ?? { type: 'object' },
  ...(tool.annotations !== null && tool.annotations !== undefined ? { annotations: tool.annotations } : {}),
});

/**
 * What a profile's tool definitions cost a model's context: each exposed tool's definition as
 * JSON, counted with a real tokenizer, and the total for each exposure mode. Counted from the
 * definitions discovery last recorded, so it needs no upstream to be running.
 */
export const contextBudget = async (tools: readonly EffectiveTool[], exposure: ToolExposureMode, adaptiveToolLimit: number): Promise<ContextBudget> => {
  const count = await countTokens();
  const listed = tools
    .filter((tool) => tool.status === 'active' && tool.discovered)
    .map((tool) => ({ name: tool.exposedName, server: tool.serverName, definition: listedDefinition(tool) }))
    .map((tool) => ({ ...tool, tokens: count(JSON.stringify(tool.definition)) }))
    .sort((a, b) => b.tokens - a.tokens || a.name.localeCompare(b.name));
  const listCost = (definitions: readonly unknown[]): number => count(JSON.stringify({ tools: definitions }));
  return {
    tokenizer: TOKENIZER,
    exposure,
    tools: listed.map(({ name, server, tokens }) => ({ name, server, tokens })),
    modes: {
      all: listCost(listed.map((tool) => tool.definition)),
      search: listCost(GATEWAY_TOOLS),
      adaptive: listCost([...GATEWAY_TOOLS, ...listed.slice(0, adaptiveToolLimit).map((tool) => tool.definition)]),
    },
  };
};
