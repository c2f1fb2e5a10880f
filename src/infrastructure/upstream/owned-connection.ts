import { SlotUnavailableError, type ConnectionSlots, type ReleaseSlot } from './connection-slots';
import { stoppedWhileConnecting, UpstreamError } from './errors';
import type { UpstreamConnectionBase } from './connection-base';
import { type LateDiscovery, ModernUpstreamConnection } from './modern-connection';
import { SdkUpstreamConnection, type SdkConnectionOptions } from './sdk-connection';
import { type DiscoveryMemory, discoverTimeoutMs } from './discovery-memory';
import { openStdioConnection } from './stdio-discovery';
import type { UpstreamHandlers, UpstreamSpec } from './types';

/** A connection as the supervisor holds it: a 2025 session, or a stateless 2026-07-28 one. */
export type LiveConnection = SdkUpstreamConnection | ModernUpstreamConnection;

/**
 * A live connection together with the capacity slot it occupies, if the server is capped, and,
 * for a 2025 session opened because `server/discover` went unanswered in its window, the
 * question still waiting for its answer (see openHttpConnection).
 */
export type OwnedConnection = Readonly<{ connection: LiveConnection; releaseSlot?: ReleaseSlot; late?: LateDiscovery }>;

export type OwnedConnectionRequest = Readonly<{
  spec: UpstreamSpec;
  settings: Omit<SdkConnectionOptions, 'onUnexpectedClose'>;
  handlers: UpstreamHandlers;
  slots?: ConnectionSlots;
  slotWaitTimeoutMs: number;
  /** Aborts the wait for a slot (the supervisor is stopping). */
  stopSignal: AbortSignal;
  onLost: (connection: UpstreamConnectionBase, error: UpstreamError) => void;
  /** Whether the server is asked `server/discover` (see discovery-memory.ts). */
  discovery: DiscoveryMemory;
  /** A stdio process exited on `server/discover` and another is started (see openStdioConnection). */
  onExitedOnDiscover?: () => void;
}>;

const acquireSlot = async (request: OwnedConnectionRequest): Promise<ReleaseSlot | undefined> => {
  const { slots, spec } = request;
  if (!slots) return undefined;
  try {
    return await slots.acquire(request.slotWaitTimeoutMs, request.stopSignal);
  } catch (error) {
    if (!(error instanceof SlotUnavailableError)) throw error;
    if (error.reason === 'aborted') throw new UpstreamError('UPSTREAM_CLOSED', spec, 'supervisor stopped');
    throw new UpstreamError('UPSTREAM_AT_CAPACITY', spec, `all ${slots.capacity} connections of this server are in use`, {
      cause: error,
    });
  }
};

/**
 * An HTTP upstream: asked `server/discover` for at most `discoverTimeoutMs` (a 2025 server refuses
 * the sessionless request at once), spoken to statelessly when it offers 2026-07-28, else
 * initialised with what is left of the connect timeout. One that let the question go unanswered
 * and was then initialised is remembered, and not asked on its later connects for a while (ten
 * minutes: it may only have been slow; see DiscoveryMemory). The question stays open meanwhile
 * (`late`): a slow 2026 server's answer is then forgotten as silence, and the supervisor speaks
 * 2026-07-28 over it from its next request on. Legacy SSE is never asked.
 */
const openHttpConnection = async (spec: UpstreamSpec, settings: SdkConnectionOptions, handlers: UpstreamHandlers, memory: DiscoveryMemory): Promise<Omit<OwnedConnection, 'releaseSlot'>> => {
  if (spec.transport !== 'streamable_http' || memory.recall(spec) !== undefined) return { connection: await SdkUpstreamConnection.open(spec, settings, handlers) };
  const startedAt = Date.now();
  const probed = await ModernUpstreamConnection.probe(spec, settings, handlers, discoverTimeoutMs(settings.connectTimeoutMs));
  if (probed instanceof ModernUpstreamConnection) return { connection: probed };
  if (probed === 'legacy') return { connection: await SdkUpstreamConnection.open(spec, settings, handlers) };
  let connection: SdkUpstreamConnection;
  try {
    connection = await SdkUpstreamConnection.open(spec, { ...settings, connectTimeoutMs: Math.max(1, settings.connectTimeoutMs - (Date.now() - startedAt)) }, handlers);
  } catch (error) {
    probed.cancel();
    throw error;
  }
  memory.note(spec, 'ignores');
  void probed.answer.then((modern) => modern && memory.forget(spec));
  return { connection, late: probed };
};

/**
 * Takes a capacity slot (waiting in line if the server is at its cap), then connects: statelessly
 * when the upstream's `server/discover` offers 2026-07-28 (Streamable HTTP, and stdio on the one
 * process it spawns), else with the 2025 initialize as always; legacy SSE is never asked (the
 * transport does not exist in 2026-07-28). From
 * then on the slot belongs to the connection: `closeOwned` frees it, and so does a failed
 * connect, at once.
 */
export const openOwnedConnection = async (request: OwnedConnectionRequest): Promise<OwnedConnection> => {
  const releaseSlot = await acquireSlot(request);
  try {
    const { spec, handlers } = request;
    // Stopped before anything was started (or while waiting for the slot): nothing to spawn or ask.
    if (request.stopSignal.aborted) throw stoppedWhileConnecting(spec);
    const settings = { ...request.settings, onUnexpectedClose: (error: UpstreamError, connection: UpstreamConnectionBase) => request.onLost(connection, error) };
    if (spec.transport === 'stdio') return { connection: await openStdioConnection(spec, settings, handlers, request.discovery, request.onExitedOnDiscover), releaseSlot };
    return { ...(await openHttpConnection(spec, settings, handlers, request.discovery)), releaseSlot };
  } catch (error) {
    releaseSlot?.();
    throw error;
  }
};

/** The slot is freed only once the process group is gone, so the cap bounds real processes. */
export const closeOwned = async (owned: OwnedConnection): Promise<void> => {
  owned.late?.cancel();
  try {
    await owned.connection.close();
  } finally {
    owned.releaseSlot?.();
  }
};

/** Lets one waiter give up on a shared promise without cancelling it for the others. */
export const abortable = <T>(promise: Promise<T>, signal: AbortSignal | undefined, spec: UpstreamSpec): Promise<T> => {
  if (!signal) return promise;
  const cancelled = () => new UpstreamError('UPSTREAM_CANCELLED', spec, 'cancelled while connecting');
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
};
