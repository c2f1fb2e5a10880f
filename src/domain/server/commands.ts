import type { DomainCommand } from '../shared';
import type { ApprovedTool, DiscoveredTool, ServerSettings, ServerSnapshot } from './events';

/**
 * Registers a new server. Re-sending the same registration is a no-op (safe to retry).
 * `approveFirstDiscovery`: the tools the first discovery finds are approved (tool pinning).
 */
export type RegisterServer = DomainCommand<
  'RegisterServer',
  { serverId: string; name: string; settings: ServerSettings; approveFirstDiscovery?: boolean }
>;

/** A PATCH: absent (or undefined) fields are left as they are. */
export type ServerChanges = Readonly<Partial<ServerSettings> & { name?: string }>;

export type ReconfigureServer = DomainCommand<'ReconfigureServer', { serverId: string; changes: ServerChanges }>;

export type RemoveServer = DomainCommand<'RemoveServer', { serverId: string }>;

/** Sent after every upstream `tools/list`; appends only when the fingerprint changed. */
export type RecordDiscoveredTools = DomainCommand<
  'RecordDiscoveredTools',
  { serverId: string; tools: readonly DiscoveredTool[]; fingerprint: string }
>;

/**
 * Brings the server back to `target`, the snapshot the caller folded from the stream up to an
 * earlier position (`null`: the server did not exist then), by appending compensating events.
 */
export type RevertServer = DomainCommand<
  'RevertServer',
  { serverId: string; target: ServerSnapshot | null; /** Absent: the approvals are left as they are. */ approvedTools?: readonly ApprovedTool[] }
>;

/**
 * Approves the current definitions of the named tools (absent: of every pending one), as
 * `approvedBy`. Tools already approved as they are now are left alone.
 */
export type ApproveToolDefinitions = DomainCommand<
  'ApproveToolDefinitions',
  { serverId: string; tools?: readonly string[]; approvedBy: string }
>;

/** Replaces the approved definitions as a whole (an import). */
export type RestoreToolApprovals = DomainCommand<'RestoreToolApprovals', { serverId: string; tools: readonly ApprovedTool[] }>;

export type ServerCommand =
  | RegisterServer
  | ReconfigureServer
  | RemoveServer
  | RecordDiscoveredTools
  | RevertServer
  | ApproveToolDefinitions
  | RestoreToolApprovals;
