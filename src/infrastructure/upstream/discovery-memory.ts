import { connectionKey } from './spec';
import type { UpstreamSpec } from './types';

/**
 * The longest a server's answer to `server/discover` is waited for (for a stdio server counted
 * from the spawn, so it includes its start-up): a server that ignores requests it does not know
 * is then initialised as a 2025 server, this much later than before, once (see DiscoveryMemory).
 * A 2025 server that answers with an error (the SDKs answer -32601, or HTTP 400 without a
 * session) costs only that answer.
 */
export const DISCOVER_TIMEOUT_MS = 5_000;

/** At most a quarter of the connect timeout, so initialize keeps the rest of it. */
export const discoverTimeoutMs = (connectTimeoutMs: number): number =>
  Math.max(1, Math.min(DISCOVER_TIMEOUT_MS, Math.floor(connectTimeoutMs / 4)));

/** What a server did when asked `server/discover`, when that was not an answer. */
export type DiscoveryOutcome = 'exits' | 'ignores';

/** Configurations remembered per server: per-user servers run with each user's own env. */
const MAX_REMEMBERED = 64;

/**
 * How long a server that let the window pass is taken to ignore the question: silence may only
 * have been slowness (a Streamable HTTP server under load), so it is asked again after this.
 */
export const SILENCE_REMEMBERED_MS = 10 * 60_000;

export type DiscoveryMemoryOptions = Readonly<{ silenceRememberedMs?: number; now?: () => number }>;

/**
 * What one server did when asked `server/discover` without answering, by the configuration it was
 * reached with (connectionKey): a stdio process that exited on it, or a server (stdio or
 * Streamable HTTP) that let the window pass (a 2025 server that ignores requests it does not
 * know: up to 5 s on each start) and was then initialised. Such a server is initialised at once
 * on its later connects, so neither a restart nor another session's connection pays for the
 * question again. A definite outcome (the process exited) holds until the configuration changes;
 * silence, which may only have been a slow server, holds for `silenceRememberedMs` (10 minutes),
 * after which the server is asked again. A changed configuration is asked anew, and so is a server
 * that answered after the window offering 2026-07-28 (it was only slow: a stdio process that
 * started slowly, a Streamable HTTP server under load).
 * Shared by the supervisors of one server; in memory only, so a gateway restart asks again.
 */
export class DiscoveryMemory {
  private readonly outcomes = new Map<string, Readonly<{ outcome: DiscoveryOutcome; until: number }>>();
  private readonly silenceRememberedMs: number;
  private readonly now: () => number;

  constructor(options: DiscoveryMemoryOptions = {}) {
    this.silenceRememberedMs = options.silenceRememberedMs ?? SILENCE_REMEMBERED_MS;
    this.now = options.now ?? Date.now;
  }

  recall(spec: UpstreamSpec): DiscoveryOutcome | undefined {
    const key = connectionKey(spec);
    const remembered = this.outcomes.get(key);
    if (remembered === undefined) return undefined;
    if (this.now() < remembered.until) return remembered.outcome;
    this.outcomes.delete(key);
    return undefined;
  }

  note(spec: UpstreamSpec, outcome: DiscoveryOutcome): void {
    const key = connectionKey(spec);
    this.outcomes.delete(key);
    this.outcomes.set(key, { outcome, until: outcome === 'ignores' ? this.now() + this.silenceRememberedMs : Number.POSITIVE_INFINITY });
    if (this.outcomes.size > MAX_REMEMBERED) this.outcomes.delete(this.outcomes.keys().next().value as string);
  }

  forget(spec: UpstreamSpec): void {
    this.outcomes.delete(connectionKey(spec));
  }
}
