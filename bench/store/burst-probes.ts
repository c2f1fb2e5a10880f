/**
 * The probes of the burst scenario, on a worker thread (an event loop of their own): a health
 * probe (`GET /healthz` on a new connection every `probeEveryMs`) and an MCP client calling a
 * tool in a loop, each one at a time, for `durationMs` once the MCP client is connected and warm.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { connectClient, disconnectClient } from '../proxy/load';

export type ProbeOptions = Readonly<{ url: string; mcpUrl: string; durationMs: number; probeEveryMs: number }>;
export type ProbeResults = { health: number[]; healthFailures: number; calls: number[]; callFailures: number };

/** Starts the probes; resolves once they are measuring, with their results to come. */
export const startProbes = (options: ProbeOptions): Promise<{ results: Promise<ProbeResults> }> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: options });
    const results = new Promise<ProbeResults>((done, failed) => {
      worker.on('message', (message: { type: 'ready' } | { type: 'results'; results: ProbeResults }) => {
        if (message.type === 'ready') resolve({ results });
        else done(message.results);
      });
      worker.once('error', (error) => {
        failed(error);
        reject(error);
      });
    });
    results.catch(() => undefined);
  });

const healthz = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(new URL('/healthz', url), { agent: false, timeout: 60_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end();
  });

const probe = async (options: ProbeOptions): Promise<ProbeResults> => {
  const results: ProbeResults = { health: [], healthFailures: 0, calls: [], callFailures: 0 };
  const mcp = await connectClient(options.mcpUrl, 'burst-probe');
  try {
    for (let i = 0; i < 20; i += 1) await mcp.callTool('echo', { message: 'warm' });
    parentPort?.postMessage({ type: 'ready' });
    const until = performance.now() + options.durationMs;
    const running = (): boolean => performance.now() < until;
    const health = async (): Promise<void> => {
      while (running()) {
        const t0 = performance.now();
        const status = await healthz(options.url).catch(() => 0);
        if (status === 200) results.health.push(performance.now() - t0);
        else results.healthFailures += 1;
        const wait = options.probeEveryMs - (performance.now() - t0);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    };
    const calls = async (): Promise<void> => {
      while (running()) {
        const t0 = performance.now();
        try {
          const answer = await mcp.callTool('echo', { message: 'during the burst' }, 60_000);
          if (answer.isError) results.callFailures += 1;
          else results.calls.push(performance.now() - t0);
        } catch {
          results.callFailures += 1;
        }
      }
    };
    await Promise.all([health(), calls()]);
  } finally {
    await disconnectClient(mcp);
  }
  results.health.sort((a, b) => a - b);
  results.calls.sort((a, b) => a - b);
  return results;
};

if (!isMainThread) {
  void probe(workerData as ProbeOptions).then((results) => parentPort?.postMessage({ type: 'results', results }));
}
