import type { DomainCommand } from '../shared';
import type { DiscoveredTool, ServerSettings, ServerSnapshot } from './events';

/** Registers a new server. Re-sending the same registration is a no-op (safe to retry). */
export type RegisterServer = DomainCommand<
  'RegisterServer',
  { serverId: string; name: string; settings: ServerSettings }
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
export type RevertServer = DomainCommand<'RevertServer', { serverId: string; target: ServerSnapshot | null }>;

export type ServerCommand = RegisterServer | ReconfigureServer | RemoveServer | RecordDiscoveredTools | RevertServer;
