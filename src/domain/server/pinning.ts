import { createHash } from 'node:crypto';
import type { ApprovedTool, DiscoveredTool, ToolPinning } from './events';

/** The parts of a tool definition that pinning watches (what a model reads or relies on). */
export const PINNED_FIELDS = ['title', 'description', 'annotations', 'inputSchema', 'outputSchema'] as const;
export type PinnedField = (typeof PINNED_FIELDS)[number];

/** Canonical JSON (sorted keys, undefined left out) so that equal definitions hash alike. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

/** sha256 of the canonical JSON of the pinned fields; the name is the key, not part of the hash. */
export const toolDefinitionHash = (tool: Readonly<Partial<Record<PinnedField, unknown>>>): string =>
  createHash('sha256')
    .update(canonical(Object.fromEntries(PINNED_FIELDS.map((field) => [field, tool[field]]))))
    .digest('hex');

export const approvalOf = (tool: DiscoveredTool): ApprovedTool => ({ name: tool.name, hash: toolDefinitionHash(tool), definition: tool });

/**
 * `approved`: the tool is listed and callable; `pending_change`: its definition differs from the
 * approved one; `pending_new`: it was never approved and `all` pinning holds new tools back.
 */
export type PinStatus = 'approved' | 'pending_change' | 'pending_new';

/** What pinning makes of a tool whose current definition hashes to `hash`. */
export const pinStatus = (pinning: ToolPinning, approvedHash: string | undefined, hash: string): PinStatus => {
  if (pinning === 'off' || approvedHash === hash) return 'approved';
  if (approvedHash !== undefined) return 'pending_change';
  return pinning === 'all' ? 'pending_new' : 'approved';
};

/** One pinned field that differs between the approved and the current definition. */
export type FieldChange = Readonly<{ field: PinnedField; from: unknown; to: unknown }>;

export const definitionDiff = (from: DiscoveredTool | null, to: DiscoveredTool): FieldChange[] =>
  PINNED_FIELDS.flatMap((field) => {
    const before = from?.[field] ?? null;
    const after = to[field] ?? null;
    return canonical(before) === canonical(after) ? [] : [{ field, from: before, to: after }];
  });

export type PendingTool = Readonly<{
  name: string;
  status: 'changed' | 'new';
  approved: DiscoveredTool | null;
  current: DiscoveredTool;
  diff: readonly FieldChange[];
}>;

/** The current tools that pinning holds back, with what changed since their approval. */
export const pendingTools = (
  pinning: ToolPinning,
  approved: readonly ApprovedTool[],
  current: readonly DiscoveredTool[],
): PendingTool[] => {
  const byName = new Map(approved.map((tool) => [tool.name, tool]));
  return current.flatMap((tool) => {
    const before = byName.get(tool.name);
    const status = pinStatus(pinning, before?.hash, toolDefinitionHash(tool));
    if (status === 'approved') return [];
    const definition = before?.definition ?? null;
    return [{ name: tool.name, status: status === 'pending_change' ? 'changed' : 'new', approved: definition, current: tool, diff: definitionDiff(definition, tool) }];
  });
};

/** `approved` with `additions` replacing any earlier approval of the same tools, by name. */
export const mergeApprovals = (approved: readonly ApprovedTool[], additions: readonly ApprovedTool[]): ApprovedTool[] => {
  const names = new Set(additions.map((tool) => tool.name));
  return [...approved.filter((tool) => !names.has(tool.name)), ...additions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
};

/** Whether two sets of approvals are the same (names and hashes). */
export const sameApprovals = (a: readonly ApprovedTool[], b: readonly ApprovedTool[]): boolean => {
  const key = (tools: readonly ApprovedTool[]): string => tools.map((tool) => `${tool.name}\n${tool.hash}`).sort().join('\n\n');
  return key(a) === key(b);
};
