/**
 * (d) The burst scenario of `npm run bench:store`: the gateway in its own process (what
 * `gatehouse serve` runs), BENCH_BURST_WRITERS keep-alive clients (64) posting REST writes in a
 * loop for BENCH_BURST_MS (10 s), and beside them
 *
 *   - a health probe: `GET /healthz` on a new connection every 20 ms, one at a time (what a load
 *     balancer or `curl` does), its latency including the TCP connect;
 *   - an MCP client calling a tool through the proxy in a loop (one at a time);
 *
 * both on a worker thread of their own (burst-probes.ts), so that the writers' work in this
 * process does not delay them.
 *
 * Each writer runs, in turn: register a server, create a profile, attach the server (inactive),
 * set a tool's description, update the profile. Every acknowledged write (2xx) is one durable
 * command; 409/503 answers are counted apart (a conflict or a refusal is an answer, not a write).
 */
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { quantile } from '../proxy/load';
import { closeGateway, cpuMillis, cpuSplitMillis, startGateway, startHttpFixture, stopChild } from '../proxy/processes';
import { startProbes } from './burst-probes';

const WRITERS = Number(process.env.BENCH_BURST_WRITERS ?? 64);
const DURATION_MS = Number(process.env.BENCH_BURST_MS ?? 10_000);
const PROBE_EVERY_MS = 20;
/** A CPU profile of the gateway over the burst goes there (burst.cpuprofile). */
const PROFILE_DIR = process.env.BENCH_GATEWAY_PROFILE_DIR || undefined;

export type BurstResult = {
  writers: number;
  millis: number;
  acknowledged: number;
  conflicts: number;
  refused: number;
  failed: number;
  writeLatencies: number[];
  health: number[];
  healthFailures: number;
  calls: number[];
  callFailures: number;
  /** CPU time the gateway's process used over the burst (all threads), and its main thread's, in ms. */
  gatewayCpuMs: number;
  gatewayMainThreadCpuMs: number;
};

type Answer = { status: number; body: string };

const send = (url: URL, method: string, token: string | undefined, body: unknown, agent: Agent | false): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: no answer within 60 s`)));
    req.on('error', reject);
    req.end(payload);
  });

const sorted = (values: number[]): number[] => values.sort((a, b) => a - b);

export const benchBurst = async (dataDir: string, secretKey: string, adminToken: string): Promise<BurstResult> => {
  const upstream = await startHttpFixture('json-server.js');
  const gateway = await startGateway({
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: '0',
    GATEHOUSE_ADMIN_TOKEN: adminToken,
    GATEHOUSE_SECRET_KEY: secretKey,
    GATEHOUSE_LOG_LEVEL: 'warn',
  });
  const agent = new Agent({ keepAlive: true, maxSockets: WRITERS });
  const api = async (method: string, path: string, body?: unknown): Promise<Answer> => send(new URL(path, gateway.url), method, adminToken, body, agent);
  const must = async (method: string, path: string, body?: unknown): Promise<void> => {
    const answer = await api(method, path, body);
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.body}`);
  };
  try {
    await must('POST', '/api/servers', { name: 'burst-upstream', transport: 'streamable_http', url: upstream.url });
    await must('POST', '/api/profiles', { slug: 'burst', name: 'Burst', auth: { apiKey: false }, toolPrefix: 'never' });
    await must('PUT', '/api/profiles/burst/servers/burst-upstream', { status: 'active' });
    const result: BurstResult = {
      writers: WRITERS, millis: 0, acknowledged: 0, conflicts: 0, refused: 0, failed: 0, writeLatencies: [],
      health: [], healthFailures: 0, calls: [], callFailures: 0, gatewayCpuMs: 0, gatewayMainThreadCpuMs: 0,
    };
    const probes = await startProbes({ url: gateway.url, mcpUrl: `${gateway.url}/mcp/burst`, durationMs: DURATION_MS, probeEveryMs: PROBE_EVERY_MS });
    {
      if (PROFILE_DIR) await gateway.ask({ type: 'profile-start', intervalUs: 200 });
      const cpuBefore = cpuMillis(gateway.pid);
      const mainThreadBefore = cpuSplitMillis(gateway.pid, gateway.pid);
      const started = performance.now();
      const until = started + DURATION_MS;
      const running = (): boolean => performance.now() < until;

      const write = async (method: string, path: string, body?: unknown): Promise<void> => {
        const t0 = performance.now();
        try {
          const answer = await api(method, path, body);
          if (answer.status < 300) {
            result.acknowledged += 1;
            result.writeLatencies.push(performance.now() - t0);
          } else if (answer.status === 409) result.conflicts += 1;
          else if (answer.status === 503) result.refused += 1;
          else {
            result.failed += 1;
            if (result.failed <= 3) process.stderr.write(`burst: ${method} ${path} → ${answer.status} ${answer.body.slice(0, 300)}\n`);
          }
        } catch (error) {
          result.failed += 1;
          if (result.failed <= 3) process.stderr.write(`burst: ${method} ${path} → ${(error as Error).message}\n`);
        }
      };
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; running(); i += 1) {
          const server = `w${w}-s${i}`;
          const slug = `w${w}-p${i}`;
          await write('POST', '/api/servers', { name: server, transport: 'stdio', command: 'node', args: [`${server}.js`], env: { TOKEN: `secret-${server}` } });
          if (!running()) break;
          await write('POST', '/api/profiles', { slug, name: `Profile ${slug}`, auth: { apiKey: true } });
          if (!running()) break;
          await write('PUT', `/api/profiles/${slug}/servers/${server}`, { status: 'inactive' });
          if (!running()) break;
          await write('PATCH', `/api/profiles/${slug}/tools/${server}/search`, { description: `Search, tuned by writer ${w}` });
          if (!running()) break;
          await write('PATCH', `/api/profiles/${slug}`, { description: `Updated in round ${i}` });
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      Object.assign(result, await probes.results);
      result.millis = performance.now() - started;
      const mainThreadAfter = cpuSplitMillis(gateway.pid, gateway.pid);
      result.gatewayCpuMs = cpuMillis(gateway.pid) - cpuBefore;
      result.gatewayMainThreadCpuMs = mainThreadAfter.user + mainThreadAfter.system - (mainThreadBefore.user + mainThreadBefore.system);
      if (PROFILE_DIR) process.stdout.write(`Gateway CPU profile: ${(await gateway.ask<{ path: string }>({ type: 'profile-stop', path: join(PROFILE_DIR, 'burst.cpuprofile') })).path}\n`);
    }
    sorted(result.writeLatencies);
    return result;
  } finally {
    agent.destroy();
    await closeGateway(gateway);
    await stopChild(upstream.child);
  }
};

export const burstRows = (burst: BurstResult, ok: (pass: boolean) => string): string[][] => {
  const commands = Math.round((burst.acknowledged / burst.millis) * 1000);
  const p99 = (values: number[]): number => (values.length === 0 ? Number.NaN : quantile(values, 0.99));
  const fmt = (value: number): string => `${value.toFixed(1)} ms`;
  const healthP99 = p99(burst.health);
  const callP99 = p99(burst.calls);
  const seconds = (burst.millis / 1000).toFixed(1);
  // The probes' requests are in it too (a few hundred beside thousands of writes); /proc counts in 10 ms ticks.
  const cpuPerWrite = (cpuMs: number): string => (burst.acknowledged === 0 ? 'n/a' : (cpuMs / burst.acknowledged).toFixed(2));
  return [
    [
      `(d) burst: ${burst.writers} keep-alive REST writers for ${seconds} s (register server, create profile, attach, set tool, update profile), gateway in its own process`,
      `${commands.toLocaleString('en')} durable commands/s (${burst.acknowledged} acknowledged; write p50 ${fmt(quantile(burst.writeLatencies, 0.5))}, p99 ${fmt(p99(burst.writeLatencies))}; ${burst.conflicts} conflicts, ${burst.refused} refused with 503, ${burst.failed} failed; gateway CPU ${cpuPerWrite(burst.gatewayCpuMs)} ms per write, main thread ${cpuPerWrite(burst.gatewayMainThreadCpuMs)} ms)`,
      '≥ 5,000/s', ok(commands >= 5_000 && burst.failed === 0),
    ],
    [
      '(d) burst: `GET /healthz` on a new connection every 20 ms during it',
      `p50 ${fmt(quantile(burst.health, 0.5))}, p99 ${fmt(healthP99)}, max ${fmt(burst.health[burst.health.length - 1] ?? Number.NaN)} (${burst.health.length} probes, ${burst.healthFailures} failed)`,
      'p99 ≤ 50 ms', ok(healthP99 <= 50 && burst.healthFailures === 0),
    ],
    [
      '(d) burst: `tools/call` through the proxy (JSON upstream), one at a time during it',
      `p50 ${fmt(quantile(burst.calls, 0.5))}, p99 ${fmt(callP99)}, max ${fmt(burst.calls[burst.calls.length - 1] ?? Number.NaN)} (${burst.calls.length} calls, ${burst.callFailures} failed)`,
      'p99 ≤ 100 ms', ok(callP99 <= 100 && burst.callFailures === 0),
    ],
  ];
};
