import * as server from '../../../domain/server';
import type { DiscoveredTool, FieldChange } from '../../../domain/server';
import type { StoredEvent } from '../../eventstore';

/**
 * One moment in a tool's definition as the server's stream recorded it: the upstream listed it
 * for the first time (`added`), listed it differently (`changed`, with the fields that changed),
 * stopped listing it or the server was removed (`removed`, with the `reason`), or someone approved
 * its definition for pinning (`approved`).
 */
export type ToolDefinitionChange = Readonly<{
  position: number;
  recordedAt: string;
  actor: string;
  change: 'added' | 'changed' | 'removed' | 'approved';
  /** The definition's hash after this moment (toolDefinitionHash); null once removed. */
  hash: string | null;
  diff: readonly FieldChange[];
  approvedBy?: string;
  /** Why a tool is `removed`: the upstream no longer listed it, or the server itself was removed. */
  reason?: 'not_listed' | 'server_removed';
}>;

export type ToolDefinitionHistory = Readonly<{
  name: string;
  changes: readonly ToolDefinitionChange[];
  /**
   * The upstream lists the tool with a definition other than the one approved for pinning or,
   * when it was never approved, the one first seen. A tool no longer listed has not changed.
   */
  changedUpstream: boolean;
}>;

type Known = { hash: string; definition: DiscoveredTool };

/**
 * Every tool's definition history from one server's stream, oldest first. A discovery is compared
 * with the last definition recorded for each tool, across a removal and restore of the server,
 * so a tool listed again as it was is no change.
 */
export const toolHistories = (events: readonly StoredEvent[]): Map<string, ToolDefinitionHistory> => {
  const latest = new Map<string, Known>();
  const listed = new Set<string>();
  const firstSeen = new Map<string, string>();
  const changes = new Map<string, ToolDefinitionChange[]>();
  const record = (name: string, change: ToolDefinitionChange) => changes.set(name, [...(changes.get(name) ?? []), change]);
  let state = server.initialState();
  for (const event of events) {
    state = server.evolve(state, { type: event.type, data: event.data } as server.ServerEvent);
    const at = { position: event.position, recordedAt: event.recordedAt, actor: event.metadata.actor };
    if (event.type === 'ServerToolsDiscovered') {
      const { tools } = event.data as server.ServerToolsDiscovered['data'];
      const now = new Set(tools.map((tool) => tool.name));
      for (const name of [...listed].filter((name) => !now.has(name))) record(name, { ...at, change: 'removed', hash: null, diff: [], reason: 'not_listed' });
      for (const tool of tools) {
        const before = latest.get(tool.name);
        const hash = server.toolDefinitionHash(tool);
        if (!firstSeen.has(tool.name)) firstSeen.set(tool.name, hash);
        if (before === undefined || before.hash !== hash || !listed.has(tool.name)) {
          const change = before === undefined || !listed.has(tool.name) ? 'added' : 'changed';
          record(tool.name, { ...at, change, hash, diff: server.definitionDiff(before?.definition ?? null, tool) });
        }
        latest.set(tool.name, { hash, definition: tool });
      }
      listed.clear();
      for (const name of now) listed.add(name);
    } else if (event.type === 'ToolDefinitionApproved') {
      const { tools, approvedBy } = event.data as server.ToolDefinitionApproved['data'];
      for (const tool of tools) record(tool.name, { ...at, change: 'approved', hash: tool.hash, diff: [], approvedBy });
    } else if (event.type === 'ServerRemoved') {
      // Its tools are gone with it: each one listed then ends here (a restore lists them again as `added`).
      for (const name of listed) record(name, { ...at, change: 'removed', hash: null, diff: [], reason: 'server_removed' });
      listed.clear();
    }
  }
  const approved = new Map(server.approvalsOf(state).map((tool) => [tool.name, tool.hash]));
  return new Map(
    [...changes].map(([name, list]) => {
      const baseline = approved.get(name) ?? firstSeen.get(name);
      const current = latest.get(name);
      return [name, { name, changes: list, changedUpstream: listed.has(name) && current !== undefined && baseline !== undefined && current.hash !== baseline }];
    }),
  );
};
