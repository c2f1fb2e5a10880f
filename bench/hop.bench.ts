/**
 * What one Node process in the path of a call costs at a single client, whatever it does:
 * `npm run bench:hop`. It puts a number on the floor under issue 18's bound (tools/call
 * through the gateway at concurrency 1 adding ≤ 0.2 ms at p50), apart from any MCP work.
 *
 * One client (this process, node:http with a keep-alive agent, one request in flight) posts a
 * small JSON-RPC tools/call body and reads the JSON answer, over three paths to the same upstream
 * (bench/proxy/hop-parts.ts `upstream`: node:http answering with one JSON body, no MCP SDK):
 * - direct;
 * - through a TCP relay (hop-parts.ts `relay`): a Node process that pipes bytes and reads no
 *   HTTP: the loopback hop, the extra wake-ups and an event loop;
 * - through the floor (bench/proxy/floor.ts, the proxy bench's bare forwarder): node:http server
 *   and client with a keep-alive agent, each JSON body parsed and serialised again, the least an
 *   HTTP-aware JSON-RPC hop does.
 * Paths alternate within each round; the table gives each path's p50 and p90 over all rounds,
 * the p50 it adds to direct, and the hop process's CPU per call (user + system, /proc).
 *
 * Knobs: BENCH_ROUNDS (5), BENCH_CALLS (3000 per path and round), BENCH_WARMUP_CALLS (3000 per
 * path), BENCH_PIN=1 (hops on CPU 1, client and upstream on CPU 0, as bench:proxy pins).
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { cpuMillis, startFloor, startListener, stopAll, type Fixture } from './proxy/processes';
import { table } from './report';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS ?? 3_000);
const WARMUP = Number(process.env.BENCH_WARMUP_CALLS ?? 3_000);
const PIN = process.env.BENCH_PIN === '1';
const PARTS = join(__dirname, 'proxy', 'hop-parts.js');

type Path = Readonly<{ name: string; url: URL; hop?: Fixture }>;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One tools/call: resolves with its wall time in µs once the whole answer is read (and checked). */
const call = (url: URL, id: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const text = `hello ${id}`;
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } }));
    const started = process.hrtime.bigint();
    const request = http.request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': body.length } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => {
          const elapsed = Number(process.hrtime.bigint() - started) / 1_000;
          const result = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number; result?: { content?: Array<{ text?: string }> } };
          if (answer.statusCode !== 200 || result.id !== id || result.result?.content?.[0]?.text !== text) reject(new Error(`unexpected answer ${answer.statusCode}: ${Buffer.concat(chunks).toString('utf8')}`));
          else resolve(elapsed);
        });
        answer.once('error', reject);
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error('no answer within 10 s')));
    request.once('error', reject);
    request.end(body);
  });

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const main = async (): Promise<void> => {
  if (PIN) execFileSync('/usr/bin/taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  const upstream = await startListener(PARTS, ['upstream'], { cpus: PIN ? '0' : undefined });
  const hopCpus = PIN ? '1' : undefined;
  const relay = await startListener(PARTS, ['relay', upstream.url], { cpus: hopCpus });
  const floor = await startFloor(upstream.url, { cpus: hopCpus });
  const paths: Path[] = [
    { name: 'direct', url: new URL(upstream.url) },
    { name: 'TCP relay (no HTTP)', url: new URL(relay.url), hop: relay },
    { name: 'node:http forwarder (floor.ts)', url: new URL(floor.url), hop: floor },
  ];
  const latencies = new Map<string, number[]>(paths.map((path) => [path.name, []]));
  const hopCpu = new Map<string, number>(paths.map((path) => [path.name, 0]));
  let id = 0;
  const load = loadavg()[0];
  for (const path of paths) for (let i = 0; i < WARMUP; i++) await call(path.url, ++id);
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order between rounds, so no path always follows the same one.
    for (const path of round % 2 === 0 ? paths : [...paths].reverse()) {
      const cpuBefore = path.hop ? cpuMillis(path.hop.pid) : 0;
      const times = latencies.get(path.name)!;
      for (let i = 0; i < CALLS; i++) times.push(await call(path.url, ++id));
      if (path.hop) hopCpu.set(path.name, hopCpu.get(path.name)! + cpuMillis(path.hop.pid) - cpuBefore);
    }
  }
  const directP50 = quantile([...latencies.get('direct')!].sort((a, b) => a - b), 0.5);
  const rows = paths.map((path) => {
    const sorted = [...latencies.get(path.name)!].sort((a, b) => a - b);
    const p50 = quantile(sorted, 0.5);
    return [
      path.name,
      `${(p50 / 1000).toFixed(3)} ms`,
      `${(quantile(sorted, 0.9) / 1000).toFixed(3)} ms`,
      path.hop ? `+${((p50 - directP50) / 1000).toFixed(3)} ms` : '—',
      path.hop ? `${Math.round((hopCpu.get(path.name)! * 1000) / (ROUNDS * CALLS))} µs` : '—',
    ];
  });
  process.stdout.write(
    [
      `One client, one call in flight; ${ROUNDS} rounds × ${CALLS.toLocaleString('en-US')} calls per path after ${WARMUP.toLocaleString('en-US')} warm-up calls each; ${PIN ? 'pinned (hops on CPU 1, client and upstream on CPU 0)' : 'not pinned'}; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${load.toFixed(1)} at the start.`,
      '',
      table(['path', 'p50', 'p90', 'added p50', 'hop CPU per call'], rows),
      '',
    ].join('\n'),
  );
};

const timeout = setTimeout(() => {
  process.stderr.write('hop bench: gave up after 10 minutes\n');
  void stopAll().finally(() => process.exit(1));
}, 600_000);
main()
  .then(() => stopAll())
  .catch(async (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
    await stopAll();
  })
  .finally(() => {
    clearTimeout(timeout);
    agent.destroy();
  });
