import { type PinStatus, pinStatus, toolDefinitionHash } from '../../domain/server/pinning';
import type { ApprovedTool, ToolPinning } from '../../domain/server/events';
import type { McpCallToolResult, McpTool } from '../upstream';

/** A server's tool pinning as the proxy applies it. */
export type ToolPins = Readonly<{
  mode: ToolPinning;
  /** Approved definition hash by tool name. */
  approved: ReadonlyMap<string, string>;
  /**
   * The registrant approved the first discovery in advance and it is not recorded yet: what the
   * server lists now is what that discovery approves, so it is not held back meanwhile.
   */
  firstDiscoveryPending: boolean;
}>;

export const toolPinsOf = (mode: ToolPinning, approvedTools: readonly ApprovedTool[], firstDiscoveryPending: boolean): ToolPins => ({
  mode,
  approved: new Map(approvedTools.map((tool) => [tool.name, tool.hash])),
  firstDiscoveryPending,
});

/** The catalog keeps a list's tool objects until the upstream's list changes: each is hashed once. */
const hashes = new WeakMap<McpTool, string>();

const hashOf = (tool: McpTool): string => {
  let hash = hashes.get(tool);
  if (hash === undefined) {
    hash = toolDefinitionHash(tool);
    hashes.set(tool, hash);
  }
  return hash;
};

/** What pinning makes of an upstream tool as the upstream lists it now. */
export const pinOf = (pins: ToolPins | undefined, tool: McpTool): PinStatus => {
  if (pins === undefined || pins.mode === 'off' || pins.firstDiscoveryPending) return 'approved';
  return pinStatus(pins.mode, pins.approved.get(tool.name), hashOf(tool));
};

/**
 * A call of a tool pinning holds back is answered as a tool error, like a call of a tool whose
 * server is unavailable: the model reads why and can tell the user what to do.
 */
export const awaitingApprovalResult = (exposed: string, server: string, tool: string, status: Exclude<PinStatus, 'approved'>): McpCallToolResult => ({
  content: [
    {
      type: 'text',
      text:
        `The tool "${exposed}" awaits approval: ${status === 'pending_change' ? 'its definition changed upstream since it was approved' : 'it is new and this server pins every tool'}. ` +
        `An administrator can review it (GET /api/servers/${server}/tools/pending) and approve it ` +
        `(POST /api/servers/${server}/tools/approve with {"tools": ["${tool}"]}, or \`gatehouse tools approve --server ${server} --tool ${tool}\`).`,
    },
  ],
  isError: true,
});
