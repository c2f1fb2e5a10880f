import { SlotUnavailableError, type ConnectionSlots, type ReleaseSlot } from './connection-slots';
import { UpstreamError } from './errors';
import { ModernUpstreamConnection } from './modern-connection';
import { SdkUpstreamConnection, type SdkConnectionOptions } from './sdk-connection';
import { openStdioConnection, type StdioDiscoveryMemory } from './stdio-discovery';
import type { UpstreamHandlers, UpstreamSpec } from './types';

/** A connection as the supervisor holds it: a 2025 session, or a stateless 2026-07-28 one. */
export type LiveConnection = SdkUpstreamConnection | ModernUpstreamConnection;

/** A live connection together with the capacity slot it occupies, if the server is capped. */
export type OwnedConnection = Readonly<{ connection: LiveConnection; releaseSlot?: ReleaseSlot }>;

export type OwnedConnectionRequest = Readonly<{
  spec: UpstreamSpec;
  settings: Omit<SdkConnectionOptions, 'onUnexpectedClose'>;
  handlers: UpstreamHandlers;
  slots?: ConnectionSlots;
  slotWaitTimeoutMs: number;
  /** Aborts the wait for a slot (the supervisor is stopping). */
  stopSignal: AbortSignal;
  onLost: (connection: LiveConnection, error: UpstreamError) => void;
  /** Whether a stdio server is asked `server/discover` (see stdio-discovery.ts). */
  stdioDiscovery: StdioDiscoveryMemory;
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
    let opened: LiveConnection | null = null;
    const settings = { ...request.settings, onUnexpectedClose: (error: UpstreamError) => opened && request.onLost(opened, error) };
    if (spec.transport === 'stdio') opened = await openStdioConnection(spec, settings, handlers, request.stdioDiscovery);
    else opened = (await ModernUpstreamConnection.probe(spec, settings, handlers)) ?? (await SdkUpstreamConnection.open(spec, settings, handlers));
    return { connection: opened, releaseSlot };
  } catch (error) {
    releaseSlot?.();
    throw error;
  }
};

/** The slot is freed only once the process group is gone, so the cap bounds real processes. */
export const closeOwned = async (owned: OwnedConnection): Promise<void> => {
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
