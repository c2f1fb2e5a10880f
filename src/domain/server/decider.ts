import {
  type Decider,
  DomainError,
  assertNever,
  unknownEvent,
  assertServerName,
  isEmptyObject,
  withoutUndefined,
} from '../shared';
import type {
  ApproveToolDefinitions,
  RecordDiscoveredTools,
  ReconfigureServer,
  RegisterServer,
  RemoveServer,
  RestoreToolApprovals,
  RevertServer,
  ServerCommand,
} from './commands';
import type { ApprovedTool, DiscoveredTool, ServerEvent, ServerSettings, ServerSnapshot } from './events';
import { approvalOf, mergeApprovals, pendingTools, sameApprovals } from './pinning';
import { diffServerSettings, settingsOf, toSnapshot } from './settings';
import { assertNoSharedCredentials } from './per-user-settings';
import { assertSecretHeadersAreHeaders, assertValidServerSettings } from './validate';

export type EmptyServer = Readonly<{ status: 'empty' }>;
export type ActiveServer = Readonly<
  ServerSnapshot & {
    status: 'active';
    tools: readonly DiscoveredTool[];
    /** Of the last recorded tool list; null until the first discovery after (re)activation. */
    toolsFingerprint: string | null;
    /** The tool definitions approved for pinning, by name. */
    approvedTools: readonly ApprovedTool[];
    /** Registered with the first discovery approved in advance, and it has not happened yet. */
    approveFirstDiscovery: boolean;
  }
>;
/** A removed server keeps its last snapshot so that a revert can tell what it restores. */
export type RemovedServer = Readonly<ServerSnapshot & { status: 'removed'; approvedTools: readonly ApprovedTool[] }>;
export type ServerState = EmptyServer | ActiveServer | RemovedServer;

export const initialState = (): ServerState => ({ status: 'empty' });

/** The server as configured, or null when it does not exist (never registered, or removed). */
export const snapshotOf = (state: ServerState): ServerSnapshot | null =>
  state.status === 'active' ? toSnapshot(state.serverId, state.name, state) : null;

/** The approved tool definitions of a server that exists (none otherwise). */
export const approvalsOf = (state: ServerState): readonly ApprovedTool[] => (state.status === 'active' ? state.approvedTools : []);

const notFound = (serverId: string): DomainError =>
  new DomainError('SERVER_NOT_FOUND', `Server ${serverId} does not exist`, { serverId });
const removed = (serverId: string): DomainError =>
  new DomainError('SERVER_REMOVED', `Server ${serverId} has been removed`, { serverId });

const requireActive = (state: ServerState, serverId: string): ActiveServer => {
  if (state.status === 'empty') throw notFound(serverId);
  if (state.status === 'removed') throw removed(serverId);
  return state;
};

/** An approval of `tools` unless each is already approved as it is. */
const approvalEvents = (state: ActiveServer, tools: readonly DiscoveredTool[], approvedBy: string): ServerEvent[] => {
  const approved = new Map(state.approvedTools.map((tool) => [tool.name, tool.hash]));
  const approvals = tools.map(approvalOf).filter((tool) => approved.get(tool.name) !== tool.hash);
  return approvals.length === 0 ? [] : [{ type: 'ToolDefinitionApproved', data: { serverId: state.serverId, tools: approvals, approvedBy } }];
};

/** Under `changes` pinning a tool never approved passes, so it is approved as it is first seen. */
const unapproved = (state: ActiveServer, tools: readonly DiscoveredTool[]): DiscoveredTool[] => {
  const names = new Set(state.approvedTools.map((tool) => tool.name));
  return tools.filter((tool) => !names.has(tool.name));
};

/** ServerRenamed and ServerReconfigured that take `current` to `name` and `settings`. */
const changeEvents = (current: ActiveServer, name: string, settings: ServerSettings): ServerEvent[] => {
  const events: ServerEvent[] = [];
  if (name !== current.name) {
    events.push({ type: 'ServerRenamed', data: { serverId: current.serverId, name, previousName: current.name } });
  }
  const changes = diffServerSettings(current, settings);
  if (!isEmptyObject(changes)) {
    events.push({ type: 'ServerReconfigured', data: { serverId: current.serverId, changes } });
  }
  return events;
};

const registerServer = ({ data }: RegisterServer, state: ServerState): ServerEvent[] => {
  assertServerName(data.name);
  assertSecretHeadersAreHeaders(data.settings.headers, data.settings.secretHeaders);
  const settings = settingsOf(data.settings);
  assertValidServerSettings(settings);
  switch (state.status) {
    case 'empty':
      return [
        {
          type: 'ServerRegistered',
          data: { ...toSnapshot(data.serverId, data.name, settings), ...(data.approveFirstDiscovery === true ? { approveFirstDiscovery: true } : {}) },
        },
      ];
    case 'active':
      if (changeEvents(state, data.name, settings).length === 0) return [];
      throw new DomainError('SERVER_ALREADY_EXISTS', `Server ${data.serverId} is already registered differently`, {
        serverId: data.serverId,
      });
    case 'removed':
      throw removed(data.serverId);
  }
};

const reconfigureServer = ({ data }: ReconfigureServer, state: ServerState): ServerEvent[] => {
  const current = requireActive(state, data.serverId);
  const { name = current.name, ...changes } = withoutUndefined(data.changes);
  assertServerName(name);
  assertSecretHeadersAreHeaders(changes.headers ?? current.headers, changes.secretHeaders);
  const settings = settingsOf({ ...settingsOf(current), ...changes });
  assertValidServerSettings(settings);
  const events = changeEvents(current, name, settings);
  // Turning `changes` pinning on pins what is known now: later changes are measured against it.
  if (settings.toolPinning === 'changes' && current.toolPinning !== 'changes') {
    events.push(...approvalEvents(current, unapproved(current, current.tools), 'system:first-use'));
  }
  return events;
};

const removeServer = ({ data }: RemoveServer, state: ServerState): ServerEvent[] => {
  switch (state.status) {
    case 'empty':
      throw notFound(data.serverId);
    case 'active':
      return [{ type: 'ServerRemoved', data: { serverId: data.serverId, name: state.name } }];
    case 'removed':
      return [];
  }
};

const recordDiscoveredTools = ({ data }: RecordDiscoveredTools, state: ServerState): ServerEvent[] => {
  if (state.status !== 'active' || state.toolsFingerprint === data.fingerprint) return [];
  const { serverId, tools, fingerprint } = data;
  const discovered: ServerEvent = { type: 'ServerToolsDiscovered', data: { serverId, tools, fingerprint } };
  if (state.approveFirstDiscovery) return [discovered, ...approvalEvents(state, tools, 'system:first-discovery')];
  if (state.toolPinning === 'changes') return [discovered, ...approvalEvents(state, unapproved(state, tools), 'system:first-use')];
  return [discovered];
};

const approveToolDefinitions = ({ data }: ApproveToolDefinitions, state: ServerState): ServerEvent[] => {
  const current = requireActive(state, data.serverId);
  if (data.tools === undefined) {
    const pending = pendingTools(current.toolPinning, current.approvedTools, current.tools);
    return approvalEvents(current, pending.map((tool) => tool.current), data.approvedBy);
  }
  const byName = new Map(current.tools.map((tool) => [tool.name, tool]));
  const tools = [...new Set(data.tools)].map((name) => {
    const tool = byName.get(name);
    if (tool === undefined) {
      throw new DomainError('TOOL_NOT_FOUND', `Server ${current.name} has not listed a tool "${name}"`, { serverId: data.serverId, tool: name });
    }
    return tool;
  });
  return approvalEvents(current, tools, data.approvedBy);
};

const restoreToolApprovals = ({ data }: RestoreToolApprovals, state: ServerState): ServerEvent[] => {
  const current = requireActive(state, data.serverId);
  if (sameApprovals(current.approvedTools, data.tools)) return [];
  return [{ type: 'ToolApprovalsRestored', data: { serverId: data.serverId, tools: data.tools } }];
};

/** Approvals brought back to `tools` (absent: left alone), after the server itself is. */
const restoredApprovals = (serverId: string, from: readonly ApprovedTool[], tools: readonly ApprovedTool[] | undefined): ServerEvent[] =>
  tools === undefined || sameApprovals(from, tools) ? [] : [{ type: 'ToolApprovalsRestored', data: { serverId, tools } }];

/**
 * A past state is brought back as it was; it was valid when it was recorded, but may be a
 * per_user server whose url or args carry a credential from before that was refused.
 */
const revertServer = ({ data }: RevertServer, state: ServerState): ServerEvent[] => {
  const { serverId, target } = data;
  if (target !== null) assertNoSharedCredentials(settingsOf(target));
  switch (state.status) {
    case 'empty':
      throw notFound(serverId);
    case 'active':
      return target === null
        ? [{ type: 'ServerRemoved', data: { serverId, name: state.name } }]
        : [...changeEvents(state, target.name, target), ...restoredApprovals(serverId, state.approvedTools, data.approvedTools)];
    case 'removed':
      return target === null
        ? []
        : [{ type: 'ServerRestored', data: toSnapshot(serverId, target.name, target) }, ...restoredApprovals(serverId, [], data.approvedTools)];
  }
};

export const decide = (command: ServerCommand, state: ServerState): ServerEvent[] => {
  switch (command.type) {
    case 'RegisterServer':
      return registerServer(command, state);
    case 'ReconfigureServer':
      return reconfigureServer(command, state);
    case 'RemoveServer':
      return removeServer(command, state);
    case 'RecordDiscoveredTools':
      return recordDiscoveredTools(command, state);
    case 'RevertServer':
      return revertServer(command, state);
    case 'ApproveToolDefinitions':
      return approveToolDefinitions(command, state);
    case 'RestoreToolApprovals':
      return restoreToolApprovals(command, state);
    default:
      return assertNever(command);
  }
};

export const evolve = (state: ServerState, event: ServerEvent): ServerState => {
  switch (event.type) {
    case 'ServerRegistered':
    case 'ServerRestored':
      // Tools are rediscovered after a restore: the projection dropped them with the server.
      return {
        status: 'active',
        ...toSnapshot(event.data.serverId, event.data.name, event.data),
        tools: [],
        toolsFingerprint: null,
        // A restore's approvals follow it (ToolApprovalsRestored).
        approvedTools: [],
        approveFirstDiscovery: event.type === 'ServerRegistered' && event.data.approveFirstDiscovery === true,
      };
    case 'ServerReconfigured':
      if (state.status !== 'active') return state;
      return { ...state, ...settingsOf({ ...settingsOf(state), ...withoutUndefined(event.data.changes) }) };
    case 'ServerRenamed':
      return state.status === 'active' ? { ...state, name: event.data.name } : state;
    case 'ServerRemoved':
      return state.status === 'active'
        ? { status: 'removed', ...toSnapshot(state.serverId, state.name, state), approvedTools: state.approvedTools }
        : state;
    case 'ServerToolsDiscovered':
      return state.status === 'active'
        ? { ...state, tools: event.data.tools, toolsFingerprint: event.data.fingerprint }
        : state;
    case 'ToolDefinitionApproved':
      return state.status === 'active'
        ? { ...state, approvedTools: mergeApprovals(state.approvedTools, event.data.tools), approveFirstDiscovery: false }
        : state;
    case 'ToolApprovalsRestored':
      return state.status === 'active' ? { ...state, approvedTools: event.data.tools, approveFirstDiscovery: false } : state;
    default:
      return unknownEvent(event, state);
  }
};

export const serverDecider: Decider<ServerState, ServerCommand, ServerEvent> = { decide, evolve, initialState };
