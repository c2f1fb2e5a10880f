import {
  CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, type DiscoverResult, PROTOCOL_VERSION_META_KEY, SdkError, SdkErrorCode,
} from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { stoppedWhileConnecting } from './errors';
import { onAbort } from './request-signals';
import { connectError, createStdioTransport } from './session';
import { discoverTimeoutMs } from './discovery-memory';
import { MODERN_UPSTREAM_VERSION, ModernUpstreamConnection } from './modern-connection';
import { SdkUpstreamConnection, type SdkConnectionOptions } from './sdk-connection';
import type { DiscoveryMemory } from './discovery-memory';
import type { ProcessGroupStdioTransport } from './stdio-transport';
import type { UpstreamHandlers, UpstreamSpec } from './types';


/** Our id for the question: a string, so it never meets the SDK clients' numeric request ids on the pipe. */
const DISCOVER_ID = 'gatehouse-server-discover';

export type StdioDiscovery =
  | Readonly<{ kind: 'modern'; discover: DiscoverResult }>
  /** An error answer or a result without 2026-07-28: initialised as today. */
  | Readonly<{ kind: 'legacy' }>
  /** No answer in time: initialised as today, and remembered (see DiscoveryMemory). */
  | Readonly<{ kind: 'silent' }>
  /** The process ended before it answered (some servers exit on any request before initialize). */
  | Readonly<{ kind: 'exited' }>;

const offersModern = (result: unknown): result is DiscoverResult => {
  const versions = (result as { supportedVersions?: unknown } | null)?.supportedVersions;
  return Array.isArray(versions) && versions.includes(MODERN_UPSTREAM_VERSION);
};

/**
 * Sends one raw `server/discover` (with the 2026 `_meta` envelope naming the gateway) on a
 * started stdio process no client is attached to yet, and waits `timeoutMs` at most for its
 * answer; whatever else the server writes meanwhile is dropped. The process's handlers are
 * cleared before this resolves, so a client can take it over. A late answer reaches that client
 * as a response to a request it never sent, which the SDK clients ignore.
 */
export const discoverOverStdio = (
  child: ProcessGroupStdioTransport,
  options: Pick<SdkConnectionOptions, 'clientInfo' | 'capabilities' | 'stopSignal'>,
  timeoutMs: number,
): Promise<StdioDiscovery> =>
  new Promise((resolve) => {
    const settle = (outcome: StdioDiscovery): void => {
      clearTimeout(timer);
      stopListening();
      child.onmessage = undefined;
      child.onclose = undefined;
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ kind: 'silent' }), timeoutMs);
    // The caller sees its stop signal aborted and closes the process: no need to wait the window out.
    // (Assigned after a first value, since a signal already aborted settles inside onAbort.)
    let stopListening = (): void => undefined;
    stopListening = onAbort(options.stopSignal, () => settle({ kind: 'silent' }));
    if (options.stopSignal?.aborted) return;
    child.onmessage = (message: JSONRPCMessage) => {
      if (!isDiscoverAnswer(message)) return;
      settle('result' in message && offersModern(message.result) ? { kind: 'modern', discover: message.result } : { kind: 'legacy' });
    };
    child.onclose = () => settle({ kind: 'exited' });
    const meta = {
      [PROTOCOL_VERSION_META_KEY]: MODERN_UPSTREAM_VERSION,
      [CLIENT_CAPABILITIES_META_KEY]: options.capabilities,
      [CLIENT_INFO_META_KEY]: options.clientInfo,
    };
    // A write that fails (the server already exited) is followed by its close.
    child.send({ jsonrpc: '2.0', id: DISCOVER_ID, method: 'server/discover', params: { _meta: meta } }).catch(() => undefined);
  });

const isDiscoverAnswer = (message: JSONRPCMessage): boolean => 'id' in message && message.id === DISCOVER_ID && !('method' in message);

/**
 * Connects to a stdio upstream with one process: spawns it, asks it `server/discover` (bounded by
 * `discoverTimeoutMs`), then hands that same process to the SDK v2 client (stateless
 * 2026-07-28, when it offered it) or to the v1 client's initialize (everything else, as before).
 * The whole connect stays within `connectTimeoutMs`. The one exception to one process: a server
 * that exits on being asked is started again and initialised. A server `memory` knows to exit on
 * the question or to ignore it is not asked; one that does either now is remembered (an ignored
 * question only once initialize has worked). Rejects with an UpstreamError, leaving no process behind.
 * `onExitedOnDiscover` hears of the first process when it exited on the question: a start that
 * failed, for the supervisor's count of failed attempts (its stderr is in the tail like any other).
 */
export const openStdioConnection = async (
  spec: UpstreamSpec,
  options: SdkConnectionOptions,
  handlers: UpstreamHandlers,
  memory: DiscoveryMemory,
  onExitedOnDiscover: () => void = () => undefined,
): Promise<SdkUpstreamConnection | ModernUpstreamConnection> => {
  if (memory.recall(spec) !== undefined) return SdkUpstreamConnection.open(spec, options, handlers);
  const startedAt = Date.now();
  const child = createStdioTransport(spec, options);
  let discovery: StdioDiscovery;
  try {
    await child.open();
    discovery = await discoverOverStdio(child, options, discoverTimeoutMs(options.connectTimeoutMs));
  } catch (error) {
    await child.close();
    throw connectError(error, child, spec, options.connectTimeoutMs, 'server/discover');
  }
  if (options.stopSignal?.aborted) {
    await child.close();
    throw stoppedWhileConnecting(spec);
  }
  if (discovery.kind === 'exited') {
    await child.close();
    memory.note(spec, 'exits');
    onExitedOnDiscover();
    return SdkUpstreamConnection.open(spec, options, handlers);
  }
  const rest = { ...options, connectTimeoutMs: Math.max(1, options.connectTimeoutMs - (Date.now() - startedAt)) };
  if (discovery.kind === 'modern') {
    try {
      return await ModernUpstreamConnection.overStdio(spec, rest, handlers, child, discovery.discover);
    } catch (error) {
      // An answer the SDK would not accept as a DiscoverResult: the process is untouched, initialise it.
      if (!(error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed)) {
        await child.close();
        throw connectError(error, child, spec, rest.connectTimeoutMs);
      }
    }
  }
  if (discovery.kind !== 'silent') return SdkUpstreamConnection.open(spec, rest, handlers, child);
  // The answer may still come, during initialize or later: it is kept from the client (which
  // never asked), and one that offers 2026-07-28 means the server only started slowly, so its
  // configuration is not remembered as one that ignores the question.
  let offeredLate = false;
  child.intercept = (message) => {
    if (!isDiscoverAnswer(message)) return false;
    if ('result' in message && offersModern(message.result)) {
      offeredLate = true;
      memory.forget(spec);
    }
    return true;
  };
  const connection = await SdkUpstreamConnection.open(spec, rest, handlers, child);
  if (!offeredLate) memory.note(spec, 'ignores');
  return connection;
};
