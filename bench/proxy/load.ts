/**
 * The load generator: real SDK clients over Streamable HTTP, closed-loop workers (each worker
 * has its own client, that is its own MCP session, and sends its next request as soon as the
 * previous one is answered), and the statistics printed by the benchmark.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { performance } from 'node:perf_hooks';

export const REQUEST_TIMEOUT_MS = 10_000;

type CallResult = { isError?: boolean; content: unknown; structuredContent?: unknown };

/** One client of either SDK, as the load generator uses it. */
export type BenchClient = Readonly<{
  callTool: (name: string, args: Record<string, unknown>, timeoutMs?: number) => Promise<CallResult>;
  listTools: () => Promise<{ tools: unknown[] }>;
  close: () => Promise<void>;
}>;

/** SDK v1, 2025-11-25: initialize + notifications/initialized (after which the SDK opens its GET stream). */
export const connectClient = async (url: string, name = 'gatehouse-bench'): Promise<BenchClient> => {
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
  return {
    callTool: (toolName, args, timeout = REQUEST_TIMEOUT_MS) => client.callTool({ name: toolName, arguments: args }, undefined, { timeout }) as Promise<CallResult>,
    listTools: () => client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS }),
    // Ends the session on the server too (DELETE), then closes the client; bounded, best effort.
    close: async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        transport.terminateSession().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000))),
      ]).finally(() => clearTimeout(timer));
      await client.close().catch(() => undefined);
    },
  };
};

/**
 * SDK v2 pinned to MCP 2026-07-28: connect() probes server/discover, then every request stands
 * alone (no session, the version and capabilities in its _meta).
 */
export const connectModernClient = async (url: string, name = 'gatehouse-bench-2026'): Promise<BenchClient> => {
  const client = new ClientV2({ name, version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new TransportV2(new URL(url)), { timeout: REQUEST_TIMEOUT_MS });
  return {
    callTool: (toolName, args, timeout = REQUEST_TIMEOUT_MS) => client.callTool({ name: toolName, arguments: args }, { timeout }) as Promise<CallResult>,
    listTools: () => client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS }),
    close: () => client.close().catch(() => undefined),
  };
};

export const disconnectClient = (client: BenchClient): Promise<void> => client.close();

/** Runs `work` over `items` with at most `concurrency` at once. */
export const mapLimit = async <T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
};

export type Phase = { requests: number; errors: number; millis: number; latencies: Float64Array };

/**
 * `concurrency` workers, worker i on clients[i], each calling `echo` in a closed loop until
 * `durationMs` has passed (or `maxRequests` in all). Latency is measured per request, from
 * just before callTool to its result.
 */
export const runPhase = async (clients: readonly BenchClient[], concurrency: number, durationMs: number, maxRequests = 2_000_000): Promise<Phase> => {
  if (clients.length < concurrency) throw new Error(`need ${concurrency} clients, have ${clients.length}`);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  let issued = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (client: BenchClient): Promise<void> => {
    while (performance.now() < deadline && issued < maxRequests) {
      issued += 1;
      const t0 = performance.now();
      try {
        const result = await client.callTool('echo', { message: 'ping' });
        if (result.isError) throw new Error(`echo failed: ${JSON.stringify(result.content)}`);
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors += 1;
        firstError ??= error;
        if (errors > 20) throw new Error(`too many failed calls; first: ${String(firstError)}`);
      }
    }
  };
  await Promise.all(clients.slice(0, concurrency).map(worker));
  const millis = performance.now() - started;
  return { requests: latencies.length, errors, millis, latencies: Float64Array.from(latencies).sort() };
};

/** Merges phases of the same kind: requests and time add up, latencies are pooled. */
export const mergePhases = (phases: readonly Phase[]): Phase => {
  const all = new Float64Array(phases.reduce((sum, phase) => sum + phase.latencies.length, 0));
  let offset = 0;
  for (const phase of phases) {
    all.set(phase.latencies, offset);
    offset += phase.latencies.length;
  }
  return {
    requests: phases.reduce((sum, phase) => sum + phase.requests, 0),
    errors: phases.reduce((sum, phase) => sum + phase.errors, 0),
    millis: phases.reduce((sum, phase) => sum + phase.millis, 0),
    latencies: all.sort(),
  };
};

/** Nearest-rank quantile of sorted values. */
export const quantile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return quantile(sorted, 0.5);
};

export const perSecond = (phase: Pick<Phase, 'requests' | 'millis'>): number => (phase.requests / phase.millis) * 1000;
