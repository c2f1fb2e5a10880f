import { createHash } from 'node:crypto';
import type { ToolPrefixMode } from './events';

/** What MCP clients accept as a tool name. */
export const EXPOSED_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const PREFIX_SEPARATOR = '__';
const MAX_LENGTH = 64;
const HASH_LENGTH = 8;

export type NamedTool = Readonly<{ serverId: string; serverName: string; toolName: string; overrideName?: string }>;

/** Shortens deterministically: the same long name always gives the same short one. */
export const fitName = (name: string): string => {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (cleaned.length <= MAX_LENGTH && cleaned.length > 0) return cleaned;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_LENGTH);
  return `${cleaned.slice(0, MAX_LENGTH - HASH_LENGTH - 1)}_${hash}`;
};

/**
 * The names a profile exposes, keyed by `<serverId>/<toolName>`. An override name is used as
 * it is (the user chose it); otherwise the profile's `toolPrefix` decides: `always` →
 * `<server>__<tool>`, `never` → `<tool>`, `on_conflict` → the prefix only for names that more
 * than one server exposes. Every name fits `^[a-zA-Z0-9_-]{1,64}$`.
 */
export const exposedNames = (tools: readonly NamedTool[], mode: ToolPrefixMode): Map<string, string> => {
  const counts = new Map<string, number>();
  for (const tool of tools) {
    if (tool.overrideName === undefined) counts.set(tool.toolName, (counts.get(tool.toolName) ?? 0) + 1);
  }
  const names = new Map<string, string>();
  for (const tool of tools) {
    const prefixed = mode === 'always' || (mode === 'on_conflict' && (counts.get(tool.toolName) ?? 0) > 1);
    const name = tool.overrideName ?? (prefixed ? `${tool.serverName}${PREFIX_SEPARATOR}${tool.toolName}` : tool.toolName);
    names.set(`${tool.serverId}/${tool.toolName}`, fitName(name));
  }
  return names;
};
