/**
 * MCP proxy benchmark: `npm run bench:proxy`.
 *
 * 1. tools/call over Streamable HTTP, straight to a fast upstream vs through the gateway, in the
 *    same run and alternating (direct, gateway, direct, gateway… for several rounds), at
 *    concurrency 32 and 1: requests/s, the gateway/direct ratio and the latency it adds. Each
 *    round also runs a "logged" phase next to the gateway phase (the order of the two alternates
 *    between rounds): the same upstream through a second profile, bench-log, with debugLogging
 *    on, the upstream registered with a secret header so redaction takes its real path; the
 *    logged/gateway ratio (target ≥ 0.95, issue 5) and the gateway CPU per call of both, then
 *    the debug-log row counters scraped from GET /metrics.
 * 2. What an idle downstream session costs the gateway: 1,000 sessions opened (initialize +
 *    notifications/initialized, after which the SDK client holds its GET stream open), the
 *    gateway's heap (after a forced GC) and RSS before and after, divided by 1,000.
 * 3. tools/list over 10 servers, one of which never answers tools/list (connectTimeoutMs set to
 *    1000 first): the first call, then the p50 and max of the next 20.
 *
 * Processes: the load generator (this process, SDK clients), the fixture upstream
 * (test/fixtures/servers/fast-server.js) and the gateway (bench/proxy/gateway-child: what
 * `gatehouse serve` runs, plus a memory hook) each run in their own process, on 127.0.0.1 only.
 * Unpinned by default; BENCH_PIN=1 pins the gateway to CPU 1 and the load generator and the
 * upstream to CPU 0.
 *
 * Knobs: BENCH_ROUNDS (5), BENCH_PHASE_MS (2000, per phase), BENCH_WARMUP_MS (5000: the
 * gateway's per-call CPU keeps falling for seconds while V8 optimises the hot paths),
 * BENCH_SESSIONS (1000), BENCH_LIST_CALLS (20), BENCH_PARTS (1,2,3), BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof"), BENCH_TIMEOUT_MS (600000: the whole run is aborted past it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectClient, disconnectClient, mapLimit, median, mergePhases, perSecond, quantile, REQUEST_TIMEOUT_MS, runPhase,
  type BenchClient, type Phase,
} from './proxy/load';
import {
  closeGateway, cpuMillis, FIXTURES, rememberProcessGroups, residentBytes, startGateway, startHttpFixture, stopAll, stopChild,
  type GatewayProcess,
} from './proxy/processes';

const int = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return Math.floor(value);
};

const ROUNDS = Math.max(1, int('BENCH_ROUNDS', 5));
const PHASE_MS = Math.max(200, int('BENCH_PHASE_MS', 2_000));
const WARMUP_MS = int('BENCH_WARMUP_MS', 5_000);
const SESSIONS = Math.max(1, int('BENCH_SESSIONS', 1_000));
const LIST_CALLS = Math.max(1, int('BENCH_LIST_CALLS', 20));
const TIMEOUT_MS = Math.max(10_000, int('BENCH_TIMEOUT_MS', 600_000));
const PIN = process.env.BENCH_PIN === '1';
const PARTS = new Set((process.env.BENCH_PARTS ?? '1,2,3').split(',').map((part) => Number(part.trim())));
const GATEWAY_NODE_ARGS = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '');
const HIGH = 32;
const CONCURRENCIES = [HIGH, 1] as const;
const FANOUT_SERVERS = 10;

const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const SECRET_KEY = 'c'.repeat(64);

/** Sent to the upstream on every call; the fast fixture ignores it, the debug log must redact it. */
const UPSTREAM_SECRET_HEADER = { 'X-Api-Key': 'sk-bench-0123456789abcdef' };

const TARGETS = { ratioHigh: 0.85, ratioOne: 0.5, addedP50Ms: 1, sessionBytes: 64 * 1024, listAfterFirstMs: 1_000, loggedRatio: 0.95 };

// ------------------------------------------------------------------------------------------
// formatting

const mark = (pass: boolean): string => (pass ? 'pass' : '**miss**');
const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const signedMs = (value: number): string => `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;
const rps = (value: number): string => Math.round(value).toLocaleString('en-US');
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const table = (header: string[], rows: string[][]): string =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

// ------------------------------------------------------------------------------------------
// REST

const api = async (base: string, method: string, path: string, body?: unknown): Promise<{ id?: string } & Record<string, unknown>> => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
};

// ------------------------------------------------------------------------------------------
// 1. throughput and added latency

/** CPU time each process used during a phase, in ms. */
type Cpu = { loadgen: number; upstream: number; gateway: number };
type Measured = Phase & { cpu: Cpu };
/** The phases of one concurrency; `logged` is the gateway path through the debugLogging profile. */
type Pair = { direct: Measured[]; gateway: Measured[]; logged: Measured[] };
/** tools/call answered on the logged profile, warm-up included (each is one debug-log row at least). */
type CallResults = { pairs: Map<number, Pair>; loggedCalls: number; metrics: DebugLogMetrics };
type Pids = { upstream: number; gateway: number };

const cpuNow = (pids: Pids): Cpu => ({ loadgen: cpuMillis(process.pid), upstream: cpuMillis(pids.upstream), gateway: cpuMillis(pids.gateway) });

const measured = async (pids: Pids, run: () => Promise<Phase>): Promise<Measured> => {
  const before = cpuNow(pids);
  const phase = await run();
  const after = cpuNow(pids);
  return { ...phase, cpu: { loadgen: after.loadgen - before.loadgen, upstream: after.upstream - before.upstream, gateway: after.gateway - before.gateway } };
};

const benchCalls = async (directUrl: string, gatewayUrl: string, loggedUrl: string, gatewayHttp: string, pids: Pids): Promise<CallResults> => {
  const direct = await mapLimit(Array.from({ length: HIGH }), 8, () => connectClient(directUrl));
  const gateway = await mapLimit(Array.from({ length: HIGH }), 8, () => connectClient(gatewayUrl));
  const logged = await mapLimit(Array.from({ length: HIGH }), 8, () => connectClient(loggedUrl));
  let loggedCalls = 0;
  let pairs: Map<number, Pair>;
  try {
    if (WARMUP_MS > 0) {
      for (const clients of [direct, gateway, logged]) {
        const high = await runPhase(clients, HIGH, WARMUP_MS);
        const one = await runPhase(clients, 1, Math.ceil(WARMUP_MS / 4));
        if (clients === logged) loggedCalls += high.requests + one.requests;
      }
    }
    pairs = new Map<number, Pair>(CONCURRENCIES.map((concurrency) => [concurrency, { direct: [], gateway: [], logged: [] }]));
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const concurrency of CONCURRENCIES) {
        const pair = pairs.get(concurrency) as Pair;
        pair.direct.push(await measured(pids, () => runPhase(direct, concurrency, PHASE_MS)));
        // gateway then logged in odd rounds, logged then gateway in even ones
        const order = round % 2 === 1 ? (['gateway', 'logged'] as const) : (['logged', 'gateway'] as const);
        for (const path of order) pair[path].push(await measured(pids, () => runPhase(path === 'gateway' ? gateway : logged, concurrency, PHASE_MS)));
        const d = pair.direct[pair.direct.length - 1];
        const g = pair.gateway[pair.gateway.length - 1];
        const l = pair.logged[pair.logged.length - 1];
        loggedCalls += l.requests;
        process.stderr.write(
          `  round ${round}/${ROUNDS} c=${concurrency}: direct ${rps(perSecond(d))}/s, gateway ${rps(perSecond(g))}/s, logged ${rps(perSecond(l))}/s (${order.join(' then ')})\n`,
        );
      }
    }
  } finally {
    await mapLimit([...direct, ...gateway, ...logged], 16, disconnectClient);
  }
  return { pairs, loggedCalls, metrics: await settledDebugLogMetrics(gatewayHttp, loggedCalls) };
};

type DebugLogMetrics = { written: number | null; dropped: Map<string, number>; waitedMs: number };

/** The debug-log counters of `GET /metrics` (null / empty when the gateway does not export them). */
const debugLogMetrics = async (gatewayHttp: string): Promise<Omit<DebugLogMetrics, 'waitedMs'>> => {
  const response = await fetch(`${gatewayHttp}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status} ${text.slice(0, 200)}`);
  let written: number | null = null;
  const dropped = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(gatehouse_debug_log_rows_(?:written|dropped)_total)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (match[1].endsWith('written_total')) written = (written ?? 0) + value;
    else dropped.set(/reason="([^"]*)"/.exec(match[2] ?? '')?.[1] ?? '', value);
  }
  return { written, dropped };
};

/**
 * The journal writer batches its rows, so the counters are read until `written` reaches the
 * calls made (or stops moving for a second), for at most 10 s.
 */
const settledDebugLogMetrics = async (gatewayHttp: string, atLeast: number): Promise<DebugLogMetrics> => {
  const started = performance.now();
  let last = await debugLogMetrics(gatewayHttp);
  let stableSince = performance.now();
  while (performance.now() - started < 10_000 && (last.written ?? 0) < atLeast && performance.now() - stableSince < 1_000) {
    await sleep(100);
    const next = await debugLogMetrics(gatewayHttp);
    if (next.written !== last.written) stableSince = performance.now();
    last = next;
  }
  // once more after a short pause, for rows (initialize, session ends) still in a batch
  await sleep(300);
  last = await debugLogMetrics(gatewayHttp);
  return { ...last, waitedMs: performance.now() - started };
};

/** CPU µs per call of one process over a set of phases. */
const perCallUs = (phases: readonly Measured[], key: keyof Cpu): number =>
  (phases.reduce((sum, phase) => sum + phase.cpu[key], 0) / phases.reduce((sum, phase) => sum + phase.requests, 0)) * 1000;

/**
 * What the CPU alone allows on this machine. At full concurrency all three processes share
 * the cores, so the gateway path can never exceed cores / (its CPU per call, all processes);
 * at concurrency 1 a call passes through the processes one after the other, so the ratio
 * follows the CPU per call of the two paths.
 */
const cpuBudget = (concurrency: number, pair: Pair, directRps: number, target: number): string => {
  const cores = cpus().length;
  const direct = perCallUs(pair.direct, 'loadgen') + perCallUs(pair.direct, 'upstream');
  const gatewayOnly = perCallUs(pair.gateway, 'gateway');
  const gateway = perCallUs(pair.gateway, 'loadgen') + perCallUs(pair.gateway, 'upstream') + gatewayOnly;
  const us = (value: number): string => `${Math.round(value).toLocaleString('en-US')} µs`;
  if (concurrency === 1) {
    return `- c=1: a call costs ${us(direct)} of CPU direct and ${us(gateway)} through the gateway (${us(gatewayOnly)} of it in the gateway), so the ratio can be about ${(direct / gateway).toFixed(2)}; ≥ ${target} needs the gateway path at ≤ ${us(direct / target)}.`;
  }
  const needed = target * directRps;
  return `- c=${concurrency}: the gateway path costs ${us(gateway)} of CPU per call across the three processes (${us(gatewayOnly)} in the gateway), so ${cores} cores allow at most ${rps((cores * 1e6) / gateway)}/s, a ratio of ${((cores * 1e6) / gateway / directRps).toFixed(2)}; ≥ ${target} (${rps(needed)}/s) needs ≤ ${us((cores * 1e6) / needed)} per call in all.`;
};

const reportCalls = ({ pairs: results, loggedCalls, metrics }: CallResults): { text: string; pass: boolean } => {
  let allPass = true;
  const loggingRows: string[][] = [];
  const throughputRows: string[][] = [];
  const latencyRows: string[][] = [];
  const cpuRows: string[][] = [];
  const ceilings: string[] = [];
  const perCall = (phases: readonly Measured[], key: keyof Cpu): string => {
    const calls = phases.reduce((sum, phase) => sum + phase.requests, 0);
    const cpu = phases.reduce((sum, phase) => sum + phase.cpu[key], 0);
    const wall = phases.reduce((sum, phase) => sum + phase.millis, 0);
    return `${Math.round((cpu / calls) * 1000)} µs (${Math.round((cpu / wall) * 100)}%)`;
  };
  for (const concurrency of CONCURRENCIES) {
    const pair = results.get(concurrency) as Pair;
    const direct = mergePhases(pair.direct);
    const gateway = mergePhases(pair.gateway);
    const ratio = perSecond(gateway) / perSecond(direct);
    const logged = mergePhases(pair.logged);
    const perRound = pair.gateway.map((phase, i) => perSecond(phase) / perSecond(pair.direct[i]));
    const loggedRatio = perSecond(logged) / perSecond(gateway);
    const loggedPerRound = pair.logged.map((phase, i) => perSecond(phase) / perSecond(pair.gateway[i]));
    const loggedPass = loggedRatio >= TARGETS.loggedRatio && logged.errors === 0;
    allPass &&= loggedPass;
    loggingRows.push([
      String(concurrency),
      rps(perSecond(gateway)),
      rps(perSecond(logged)),
      loggedRatio.toFixed(3),
      `${Math.min(...loggedPerRound).toFixed(2)}–${Math.max(...loggedPerRound).toFixed(2)}`,
      `${Math.round(perCallUs(pair.gateway, 'gateway'))} µs`,
      `${Math.round(perCallUs(pair.logged, 'gateway'))} µs`,
      `≥ ${TARGETS.loggedRatio}`,
      mark(loggedPass),
    ]);
    const target = concurrency === HIGH ? TARGETS.ratioHigh : TARGETS.ratioOne;
    const pass = ratio >= target && direct.errors + gateway.errors === 0;
    allPass &&= pass;
    throughputRows.push([
      String(concurrency),
      rps(perSecond(direct)),
      rps(perSecond(gateway)),
      ratio.toFixed(2),
      `${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}`,
      `≥ ${target}`,
      mark(pass),
    ]);
    for (const [label, q] of [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]] as const) {
      const added = quantile(gateway.latencies, q) - quantile(direct.latencies, q);
      const judged = concurrency === 1 && label === 'p50';
      if (judged) allPass &&= added <= TARGETS.addedP50Ms;
      latencyRows.push([
        String(concurrency),
        label,
        ms(quantile(direct.latencies, q)),
        ms(quantile(gateway.latencies, q)),
        signedMs(added),
        ms(quantile(logged.latencies, q)),
        signedMs(quantile(logged.latencies, q) - quantile(gateway.latencies, q)),
        judged ? `≤ ${TARGETS.addedP50Ms} ms` : '—',
        judged ? mark(added <= TARGETS.addedP50Ms) : '—',
      ]);
    }
    ceilings.push(cpuBudget(concurrency, pair, perSecond(direct), target));
    cpuRows.push([String(concurrency), 'direct', perCall(pair.direct, 'loadgen'), perCall(pair.direct, 'upstream'), '—']);
    cpuRows.push([String(concurrency), 'gateway', perCall(pair.gateway, 'loadgen'), perCall(pair.gateway, 'upstream'), perCall(pair.gateway, 'gateway')]);
    cpuRows.push([String(concurrency), 'logged', perCall(pair.logged, 'loadgen'), perCall(pair.logged, 'upstream'), perCall(pair.logged, 'gateway')]);
    if (direct.errors + gateway.errors + logged.errors > 0) {
      latencyRows.push([String(concurrency), 'errors', String(direct.errors), String(gateway.errors), '', String(logged.errors), '', '0', mark(false)]);
    }
  }
  const counts = CONCURRENCIES.map((concurrency) => {
    const pair = results.get(concurrency) as Pair;
    return `c=${concurrency}: ${mergePhases(pair.direct).requests.toLocaleString('en-US')} direct / ${mergePhases(pair.gateway).requests.toLocaleString('en-US')} gateway / ${mergePhases(pair.logged).requests.toLocaleString('en-US')} logged calls`;
  }).join('; ');
  const measuredLogged = CONCURRENCIES.reduce((sum, concurrency) => sum + mergePhases((results.get(concurrency) as Pair).logged).requests, 0);
  const droppedTotal = [...metrics.dropped.values()].reduce((sum, value) => sum + value, 0);
  const writtenPass = metrics.written !== null && metrics.written >= loggedCalls;
  const droppedPass = droppedTotal === 0;
  allPass &&= writtenPass && droppedPass;
  const dropped = metrics.dropped.size === 0 ? 'absent (no drop recorded)' : [...metrics.dropped].map(([reason, value]) => `${value} (reason="${reason}")`).join(', ');
  const metricRows = [
    ['gatehouse_debug_log_rows_written_total', metrics.written === null ? 'absent' : metrics.written.toLocaleString('en-US'), `≥ ${loggedCalls.toLocaleString('en-US')} (tools/call on bench-log)`, mark(writtenPass)],
    ['gatehouse_debug_log_rows_dropped_total', dropped, '0 or absent', mark(droppedPass)],
  ];
  const text = [
    `### 1. tools/call (echo) over Streamable HTTP: direct vs through the gateway`,
    '',
    `${ROUNDS} rounds × ${PHASE_MS} ms per phase, alternating direct/gateway/logged; closed loop, one SDK client (session) per worker; ${counts}.`,
    '',
    table(['concurrency', 'direct req/s', 'gateway req/s', 'ratio', 'ratio per round', 'target', 'result'], throughputRows),
    '',
    `Debug logging (issue 5): "logged" is the same upstream through profile bench-log (debugLogging: true; the upstream is registered with a secret X-Api-Key header, so every row goes through redaction), run next to the gateway phase in every round (gateway first in odd rounds, logged first in even ones); "gateway" is logging off. The ratio is logged / gateway req/s; gateway CPU is the gateway process's CPU per call.`,
    '',
    table(['concurrency', 'gateway req/s (logging off)', 'logged req/s', 'ratio', 'ratio per round', 'gateway CPU/call off', 'gateway CPU/call on', 'target', 'result'], loggingRows),
    '',
    `Debug-log rows, from GET /metrics after the logged clients closed (read for ${(metrics.waitedMs / 1000).toFixed(1)} s until settled): ${loggedCalls.toLocaleString('en-US')} tools/call answered on bench-log, ${measuredLogged.toLocaleString('en-US')} of them in the measured phases and the rest in warm-up; each session's initialize and notifications/initialized are logged too.`,
    '',
    table(['counter', 'value', 'target', 'result'], metricRows),
    '',
    'Latency per call (pooled over the rounds); "added" is gateway minus direct at the same quantile, the target applies at concurrency 1 (at 32 it includes queueing).',
    '',
    table(['concurrency', 'quantile', 'direct', 'gateway', 'added', 'logged', 'added by logging', 'target', 'result'], latencyRows),
    '',
    'CPU time per call of each process (user + system of all its threads, from /proc/<pid>/stat; in brackets, its share of one core during the phases):',
    '',
    table(['concurrency', 'path', 'load generator', 'upstream', 'gateway'], cpuRows),
    '',
    `CPU budget on this machine (${cpus().length} cores):`,
    '',
    ...ceilings,
  ].join('\n');
  return { text, pass: allPass };
};

// ------------------------------------------------------------------------------------------
// 2. idle sessions

type Memory = { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; rss: number; sessions: number };

const measure = async (gateway: GatewayProcess): Promise<Memory & { vmRss: number }> => {
  const memory = await gateway.ask<Memory>({ type: 'memory' });
  return { ...memory, vmRss: residentBytes(gateway.pid) };
};

const benchSessions = async (gatewayUrl: string, gateway: GatewayProcess): Promise<{ text: string; pass: boolean }> => {
  // Warm the code paths (and the allocator) first so the delta is the sessions, not first use.
  const warm = await mapLimit(Array.from({ length: 50 }), 25, () => connectClient(gatewayUrl));
  await mapLimit(warm, 25, disconnectClient);
  await sleep(500);
  const before = await measure(gateway);
  const started = performance.now();
  const clients: BenchClient[] = await mapLimit(Array.from({ length: SESSIONS }), 50, () => connectClient(gatewayUrl));
  const openMillis = performance.now() - started;
  await sleep(1_500); // let every client's GET stream settle
  const after = await measure(gateway);
  const opened = after.sessions - before.sessions;
  await mapLimit(clients, 50, disconnectClient);
  await sleep(1_000);
  const closed = await measure(gateway);
  const per = (key: 'heapUsed' | 'vmRss' | 'external'): number => (after[key] - before[key]) / SESSIONS;
  const heapPass = per('heapUsed') + per('external') <= TARGETS.sessionBytes && opened === SESSIONS;
  const rssPass = per('vmRss') <= TARGETS.sessionBytes && opened === SESSIONS;
  const rows = [
    ['JS heap used (after GC)', mib(before.heapUsed), mib(after.heapUsed), mib(closed.heapUsed), kib(per('heapUsed')), '', ''],
    ['external (buffers)', mib(before.external), mib(after.external), mib(closed.external), kib(per('external')), '', ''],
    ['heap + external', mib(before.heapUsed + before.external), mib(after.heapUsed + after.external), mib(closed.heapUsed + closed.external), kib(per('heapUsed') + per('external')), `≤ ${kib(TARGETS.sessionBytes)}`, mark(heapPass)],
    ['RSS (/proc VmRSS)', mib(before.vmRss), mib(after.vmRss), mib(closed.vmRss), kib(per('vmRss')), `≤ ${kib(TARGETS.sessionBytes)}`, mark(rssPass)],
  ];
  const text = [
    `### 2. Idle downstream sessions`,
    '',
    `${SESSIONS.toLocaleString('en-US')} sessions opened through the gateway in ${(openMillis / 1000).toFixed(1)} s (50 at a time; initialize + notifications/initialized, then idle with the client's GET stream open); the gateway counted ${opened} new sessions, ${closed.sessions} left after DELETE.`,
    '',
    table(['gateway process', 'before', `with ${SESSIONS} idle sessions`, 'after closing them', 'per session', 'target', 'result'], rows),
  ].join('\n');
  return { text, pass: heapPass && rssPass };
};

// ------------------------------------------------------------------------------------------
// 3. fan-out with a hung server

const benchFanOut = async (gatewayHttp: string, fastUrl: string, gateway: GatewayProcess): Promise<{ text: string; pass: boolean }> => {
  await api(gatewayHttp, 'PATCH', '/api/settings', { connectTimeoutMs: 1_000 });
  await api(gatewayHttp, 'POST', '/api/profiles', { slug: 'fanout', name: 'Fan-out', auth: { apiKey: false } });
  const serverIds: string[] = [];
  const hungAt = Math.floor(FANOUT_SERVERS / 2); // in the middle of the attach order, not simply last
  for (let i = 0; i < FANOUT_SERVERS; i += 1) {
    const server =
      i === hungAt
        ? { name: 'hung', transport: 'stdio', command: process.execPath, args: [join(FIXTURES, 'hung-server.js'), '--hang-on', 'tools/list'] }
        : { name: `fast-${i}`, transport: 'streamable_http', url: fastUrl };
    const created = await api(gatewayHttp, 'POST', '/api/servers', server);
    serverIds.push(String(created.id));
    await api(gatewayHttp, 'PUT', `/api/profiles/fanout/servers/${server.name}`, { status: 'active' });
  }
  await sleep(200); // configuration events reach the proxy in 50 ms batches

  const client = await connectClient(`${gatewayHttp}/mcp/fanout`);
  try {
    const timed = async (): Promise<{ millis: number; tools: number }> => {
      const t0 = performance.now();
      const { tools } = await client.client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS });
      return { millis: performance.now() - t0, tools: tools.length };
    };
    const first = await timed();
    rememberProcessGroups(await gateway.ask<{ pids: number[] }>({ type: 'pids', serverIds }).then((answer) => answer.pids));
    const next: { millis: number; tools: number }[] = [];
    for (let i = 0; i < LIST_CALLS; i += 1) next.push(await timed());
    const times = next.map((call) => call.millis);
    const p50 = median(times);
    const max = Math.max(...times);
    const expectedTools = (FANOUT_SERVERS - 1) * 2;
    const toolsOk = first.tools === expectedTools && next.every((call) => call.tools === expectedTools);
    const rows = [
      ['first call (waits out the hung server once)', ms(first.millis), `${first.tools}`, '≈ connectTimeoutMs (1000 ms)', '—'],
      [`next ${LIST_CALLS} calls, p50`, ms(p50), `${next[0].tools}`, `< ${TARGETS.listAfterFirstMs} ms`, mark(p50 < TARGETS.listAfterFirstMs && toolsOk)],
      [`next ${LIST_CALLS} calls, max`, ms(max), `${Math.min(...next.map((call) => call.tools))}–${Math.max(...next.map((call) => call.tools))}`, `< ${TARGETS.listAfterFirstMs} ms`, mark(max < TARGETS.listAfterFirstMs && toolsOk)],
    ];
    const text = [
      `### 3. tools/list over ${FANOUT_SERVERS} servers, one hung`,
      '',
      `${FANOUT_SERVERS - 1} Streamable HTTP servers (fast-server, 2 tools each) and one stdio server that never answers tools/list (hung-server --hang-on tools/list); settings connectTimeoutMs = 1000; one client, sequential calls. Expected tools: ${expectedTools}.`,
      '',
      table(['tools/list', 'time', 'tools listed', 'target', 'result'], rows),
    ].join('\n');
    return { text, pass: p50 < TARGETS.listAfterFirstMs && max < TARGETS.listAfterFirstMs && toolsOk };
  } finally {
    await disconnectClient(client);
  }
};

// ------------------------------------------------------------------------------------------

const main = async (): Promise<number> => {
  const cpu = cpus();
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-proxy-'));
  try {
    const upstream = await startHttpFixture('fast-server.js', [], { cpus: PIN ? '0' : undefined });
    const gateway = await startGateway(
      {
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_HOST: '127.0.0.1',
        GATEHOUSE_PORT: '0',
        GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
        GATEHOUSE_SECRET_KEY: SECRET_KEY,
        GATEHOUSE_LOG_LEVEL: 'warn',
      },
      { cpus: PIN ? '1' : undefined, execArgv: GATEWAY_NODE_ARGS },
    );
    if (PIN) execFileSync('/usr/bin/taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    const placement = PIN
      ? 'load generator (this process) and upstream pinned to CPU 0, gateway pinned to CPU 1 (BENCH_PIN=1)'
      : 'three processes (load generator = this process, upstream fixture, gateway), not pinned: the OS schedules them over the cores';

    console.log(`## Proxy benchmark (\`npm run bench:proxy\`)`);
    console.log('');
    console.log(`- machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${mib(totalmem())} RAM, ${platform()} ${release()}, Node ${process.version}`);
    console.log(`- processes: ${placement}; upstream pid ${upstream.pid} (${upstream.url}), gateway pid ${gateway.pid} (${gateway.url}), load generator pid ${process.pid}`);
    console.log(`- load average before: ${loadavg().map((value) => value.toFixed(2)).join(', ')} (other work on the machine competes for the same cores)`);
    console.log(`- clients: @modelcontextprotocol/sdk Client + StreamableHTTPClientTransport; gateway: GATEHOUSE_LOG_LEVEL=warn, profile with auth.apiKey=false, toolPrefix=never (part 1 adds bench-log, the same with debugLogging=true); upstream registered with a secret X-Api-Key header`);
    console.log('');

    await api(gateway.url, 'POST', '/api/servers', { name: 'fast', transport: 'streamable_http', url: upstream.url, headers: UPSTREAM_SECRET_HEADER });
    await api(gateway.url, 'POST', '/api/profiles', { slug: 'bench', name: 'Bench', auth: { apiKey: false }, toolPrefix: 'never' });
    await api(gateway.url, 'PUT', '/api/profiles/bench/servers/fast', { status: 'active' });
    await sleep(200);

    // Part 2 runs first, on a gateway that has not yet carried the call load, so that its RSS
    // baseline is not inflated (and then partly returned) by part 1.
    const results: { part: number; text: string; pass: boolean }[] = [];
    if (PARTS.has(2)) {
      process.stderr.write('part 2: idle sessions…\n');
      results.push({ part: 2, ...(await benchSessions(`${gateway.url}/mcp/bench`, gateway)) });
    }
    if (PARTS.has(1)) {
      process.stderr.write('part 1: tools/call direct vs gateway vs gateway with debug logging…\n');
      await api(gateway.url, 'POST', '/api/profiles', { slug: 'bench-log', name: 'Bench (debug logging)', auth: { apiKey: false }, toolPrefix: 'never', debugLogging: true });
      await api(gateway.url, 'PUT', '/api/profiles/bench-log/servers/fast', { status: 'active' });
      await sleep(200);
      const calls = await benchCalls(upstream.url, `${gateway.url}/mcp/bench`, `${gateway.url}/mcp/bench-log`, gateway.url, { upstream: upstream.pid, gateway: gateway.pid });
      results.push({ part: 1, ...reportCalls(calls) });
    }
    if (PARTS.has(3)) {
      process.stderr.write('part 3: tools/list fan-out with a hung server…\n');
      results.push({ part: 3, ...(await benchFanOut(gateway.url, upstream.url, gateway)) });
    }
    for (const result of results.sort((a, b) => a.part - b.part)) {
      console.log(result.text);
      console.log('');
    }
    console.log(`Load average after: ${loadavg().map((value) => value.toFixed(2)).join(', ')}.`);
    console.log(results.every((result) => result.pass) ? 'All targets met.' : 'Some targets were missed (marked **miss**).');

    const gatewayWarnings = gateway.output().split('\n').filter((line) => /Warning/.test(line)).length;
    if (listenerWarnings + gatewayWarnings > 0) {
      console.log(`Notes: ${listenerWarnings} MaxListenersExceededWarning(s) in the load generator and ${gatewayWarnings} warning line(s) from the gateway (undici leaves one abort listener per request on the SDK transport's shared AbortSignal until GC).`);
    }
    await closeGateway(gateway);
    await stopChild(upstream.child);
    return 0;
  } finally {
    await stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

/**
 * The SDK client hands one long-lived AbortSignal to every fetch of a transport, and undici
 * keeps an abort listener per request on it until the request is garbage collected, so Node
 * warns about "possible EventTarget memory leaks" under load. Counted and summed up once
 * instead of flooding stderr; every other warning is printed as usual.
 */
let listenerWarnings = 0;
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning') listenerWarnings += 1;
  else process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const watchdog = setTimeout(() => {
  process.stderr.write(`bench:proxy: still running after ${TIMEOUT_MS} ms, aborting\n`);
  void stopAll().finally(() => process.exit(2));
}, TIMEOUT_MS);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
}

main().then(
  (code) => {
    clearTimeout(watchdog);
    process.exitCode = code;
  },
  (error: unknown) => {
    clearTimeout(watchdog);
    process.stderr.write(`bench:proxy failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
