import {
  type Decider,
  DomainError,
  assertNever,
  assertServerName,
  isEmptyObject,
  withoutUndefined,
} from '../shared';
import type {
  RecordDiscoveredTools,
  ReconfigureServer,
  RegisterServer,
  RemoveServer,
  RevertServer,
  ServerCommand,
} from './commands';
import type { DiscoveredTool, ServerEvent, ServerSettings, ServerSnapshot } from './events';
import { diffServerSettings, settingsOf, toSnapshot } from './settings';
import { assertValidServerSettings } from './validate';

export type EmptyServer = Readonly<{ status: 'empty' }>;
export type ActiveServer = Readonly<
  ServerSnapshot & {
    status: 'active';
    tools: readonly DiscoveredTool[];
    /** Of the last recorded tool list; null until the first discovery after (re)activation. */
    toolsFingerprint: string | null;
  }
>;
/** A removed server keeps its last snapshot so that a revert can tell what it restores. */
export type RemovedServer = Readonly<ServerSnapshot & { status: 'removed' }>;
export type ServerState = EmptyServer | ActiveServer | RemovedServer;

export const initialState = (): ServerState => ({ status: 'empty' });

/** The server as configured, or null when it does not exist (never registered, or removed). */
export const snapshotOf = (state: ServerState): ServerSnapshot | null =>
  state.status === 'active' ? toSnapshot(state.serverId, state.name, state) : null;

const notFound = (serverId: string): DomainError =>
  new DomainError('SERVER_NOT_FOUND', `Server ${serverId} does not exist`, { serverId });
const removed = (serverId: string): DomainError =>
  new DomainError('SERVER_REMOVED', `Server ${serverId} has been removed`, { serverId });

const requireActive = (state: ServerState, serverId: string): ActiveServer => {
  if (state.status === 'empty') throw notFound(serverId);
  if (state.status === 'removed') throw removed(serverId);
  return state;
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
  const settings = settingsOf(data.settings);
  assertValidServerSettings(settings);
  switch (state.status) {
    case 'empty':
      return [{ type: 'ServerRegistered', data: toSnapshot(data.serverId, data.name, settings) }];
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
  const settings = settingsOf({ ...settingsOf(current), ...changes });
  assertValidServerSettings(settings);
  return changeEvents(current, name, settings);
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
  return [{ type: 'ServerToolsDiscovered', data: { serverId, tools, fingerprint } }];
};

/** A past state is brought back as it was; it was valid when it was recorded. */
const revertServer = ({ data }: RevertServer, state: ServerState): ServerEvent[] => {
  const { serverId, target } = data;
  switch (state.status) {
    case 'empty':
      throw notFound(serverId);
    case 'active':
      return target === null
        ? [{ type: 'ServerRemoved', data: { serverId, name: state.name } }]
        : changeEvents(state, target.name, target);
    case 'removed':
      return target === null ? [] : [{ type: 'ServerRestored', data: toSnapshot(serverId, target.name, target) }];
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
      };
    case 'ServerReconfigured':
      if (state.status !== 'active') return state;
      return { ...state, ...settingsOf({ ...settingsOf(state), ...withoutUndefined(event.data.changes) }) };
    case 'ServerRenamed':
      return state.status === 'active' ? { ...state, name: event.data.name } : state;
    case 'ServerRemoved':
      return state.status === 'active'
        ? { status: 'removed', ...toSnapshot(state.serverId, state.name, state) }
        : state;
    case 'ServerToolsDiscovered':
      return state.status === 'active'
        ? { ...state, tools: event.data.tools, toolsFingerprint: event.data.fingerprint }
        : state;
    default:
      return state;
  }
};

export const serverDecider: Decider<ServerState, ServerCommand, ServerEvent> = { decide, evolve, initialState };
