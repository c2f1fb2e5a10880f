/**
 * MCP proxy benchmark: `npm run bench:proxy`.
 *
 * 1. tools/call over Streamable HTTP, straight to a fast upstream vs through the gateway, in the
 *    same run and alternating (direct, gateway, direct, gateway… for several rounds), at
 *    concurrency 32 and 1: requests/s, the gateway/direct ratio and the latency it adds. It runs
 *    against two fixture upstreams, one after the other, each behind its own profile, because
 *    the gateway's upstream path differs with the kind of answer:
 *    - "sse": fast-server.js (profile bench), a session per client, every POST answered with
 *      an SSE stream;
 *    - "json": json-server.js (profile bench-json), the SDK's stateless server with
 *      enableJsonResponse, every POST answered with one application/json body;
 *    - "modern": fast-server-v2.js (profile bench-2026), the SDK v2 server; here the clients
 *      are SDK v2 clients pinned to MCP 2026-07-28 (no session, per-request _meta), directly
 *      and on the gateway's stateless path (issue 13's targets: ≥ 0.85 at 32, ≥ 0.5 at 1).
 *    Against "sse" each round also runs a "logged" phase next to the gateway phase (the order
 *    of the two alternates between rounds): the same upstream through a second profile,
 *    bench-log, with debugLogging on, the upstream registered with a secret header so
 *    redaction takes its real path; the logged/gateway ratio (target ≥ 0.95, issue 5) and the
 *    gateway CPU per call of both, then the debug-log row counters scraped from GET /metrics.
 *    Each round also runs a "floor" phase per upstream: the same clients and upstream through
 *    bench/proxy/floor.ts, a bare node:http forwarder with no MCP logic (in its own process,
 *    placed as the gateway is), so the tables show direct / floor / gateway side by side: what
 *    any Node hop costs, and what the gateway costs on top of it.
 * 2. What an idle downstream session costs the gateway: 1,000 sessions opened (initialize +
 *    notifications/initialized, after which the SDK client holds its GET stream open), the
 *    gateway's heap (after a forced GC) and RSS before and after, divided by 1,000.
 * 3. tools/list over 10 servers, one of which never answers tools/list (connectTimeoutMs set to
 *    1000 first): the first call, then the p50 and max of the next 20.
 *
 * Processes: the load generator (this process, SDK clients), the fixture upstreams
 * (test/fixtures/servers/fast-server.js, json-server.js) and the gateway
 * (bench/proxy/gateway-child: what `gatehouse serve` runs, plus a memory and profiling hook)
 * each run in their own process, on 127.0.0.1 only. Unpinned by default; BENCH_PIN=1 pins the
 * gateway to CPU 1 and the load generator and the upstreams to CPU 0.
 *
 * Knobs: BENCH_ROUNDS (5), BENCH_PHASE_MS (2000, per phase), BENCH_WARMUP_MS (5000: the
 * gateway's per-call CPU keeps falling for seconds while V8 optimises the hot paths),
 * BENCH_SESSIONS (1000), BENCH_LIST_CALLS (20), BENCH_PARTS (1,2,3), BENCH_UPSTREAMS (sse,json,modern:
 * the upstreams of part 1), BENCH_CONCURRENCIES (32,1: those of part 1), BENCH_LOGGED (1; 0 skips
 * the logged phases, e.g. to profile the SSE path alone), BENCH_FLOOR (1; 0 skips the floor
 * phases: see below), BENCH_GATEWAY_NODE_ARGS
 * (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": the whole life of the gateway, start-up
 * included), BENCH_GATEWAY_PROFILE_DIR (a CPU profile of the gateway over the measured rounds
 * of each upstream only, warm-up excluded, written there as gateway-<upstream>.cpuprofile;
 * sampled every BENCH_GATEWAY_PROFILE_INTERVAL_US, 100), BENCH_TIMEOUT_MS (600000: the whole
 * run is aborted past it). To profile the single-client JSON path alone:
 * BENCH_PARTS=1 BENCH_UPSTREAMS=json BENCH_CONCURRENCIES=1 BENCH_GATEWAY_PROFILE_DIR=/tmp/prof.
 * A profile's sample durations are wall time and its sampler is a thread of the gateway: with
 * BENCH_PIN=1 it shares the gateway's one CPU and runs mostly when the main thread waits, so
 * the samples lean to (idle); the report gives the main thread's CPU over the same window.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectClient, connectModernClient, disconnectClient, mapLimit, median, mergePhases, perSecond, quantile, REQUEST_TIMEOUT_MS, runPhase,
  type BenchClient, type Phase,
} from './proxy/load';
import {
  closeGateway, cpuMillis, cpuSplitMillis, FIXTURES, rememberProcessGroups, residentBytes, startFloor, startGateway, startHttpFixture, stopAll, stopChild,
  type Fixture, type GatewayProcess,
} from './proxy/processes';
import { api, BENCH_ADMIN_TOKEN, mark, ms, table } from './report';

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
const LOGGED = process.env.BENCH_LOGGED !== '0';
const FLOOR = process.env.BENCH_FLOOR !== '0';
const PROFILE_DIR = process.env.BENCH_GATEWAY_PROFILE_DIR || undefined;
const PROFILE_INTERVAL_US = Math.max(10, int('BENCH_GATEWAY_PROFILE_INTERVAL_US', 100));
const list = (name: string, fallback: string): string[] => (process.env[name] ?? fallback).split(',').map((item) => item.trim()).filter((item) => item !== '');
const CONCURRENCIES = list('BENCH_CONCURRENCIES', '32,1').map(Number);
if (CONCURRENCIES.length === 0 || CONCURRENCIES.some((value) => !Number.isInteger(value) || value < 1)) throw new Error('BENCH_CONCURRENCIES must list positive integers');
/** Clients (sessions) per path in part 1: one per worker at the highest concurrency. */
const CLIENTS = Math.max(...CONCURRENCIES);
const FANOUT_SERVERS = 10;

const ADMIN_TOKEN = BENCH_ADMIN_TOKEN;
const SECRET_KEY = 'c'.repeat(64);

/** Sent to the upstream on every call; the fast fixture ignores it, the debug log must redact it. */
const UPSTREAM_SECRET_HEADER = { 'X-Api-Key': 'sk-bench-0123456789abcdef' };

const TARGETS = { sessionBytes: 64 * 1024, listAfterFirstMs: 1_000, loggedRatio: 0.95 };

/** Part 1's targets: the gateway/direct ratio above concurrency 1 and at 1, the p50 added at 1. */
type CallTargets = { ratioHigh: number; ratioOne: number; addedP50Ms: number };

type UpstreamKind = 'sse' | 'json' | 'modern';
type UpstreamSetup = {
  fixture: string;
  /** The server and profile it is registered as in the gateway. */
  server: string;
  profile: string;
  about: string;
  targets: CallTargets;
  /** Whether part 1 also compares debug logging on and off against it (profile bench-log). */
  logged: boolean;
  /** The load generator's clients speak MCP 2026-07-28 (SDK v2, pinned), direct and through the gateway. */
  modern?: boolean;
};

/**
 * The upstreams of part 1. The logging comparison runs against "sse" only: it measures the
 * debug log, which does not depend on the upstream, and would double that upstream's run.
 */
const UPSTREAMS: Record<UpstreamKind, UpstreamSetup> = {
  sse: {
    fixture: 'fast-server.js',
    server: 'fast',
    profile: 'bench',
    about: 'fast-server.js: a session per client, every POST answered with an SSE stream',
    targets: { ratioHigh: 0.85, ratioOne: 0.5, addedP50Ms: 1 },
    logged: LOGGED,
  },
  json: {
    fixture: 'json-server.js',
    server: 'json',
    profile: 'bench-json',
    about: "json-server.js: the SDK's stateless server (no session id, a new McpServer per request) with enableJsonResponse, every POST answered with one JSON body",
    targets: { ratioHigh: 0.85, ratioOne: 0.6, addedP50Ms: 0.2 },
    logged: false,
  },
  modern: {
    fixture: 'fast-server-v2.js',
    server: 'modern',
    profile: 'bench-2026',
    about:
      'fast-server-v2.js: the SDK v2 server (both eras); the clients are SDK v2 clients pinned to MCP 2026-07-28, stateless both directly and on the gateway (which speaks 2026-07-28 to the upstream too, having asked it server/discover)',
    targets: { ratioHigh: 0.85, ratioOne: 0.5, addedP50Ms: 1 },
    logged: false,
    modern: true,
  },
};

const UPSTREAM_KINDS = list('BENCH_UPSTREAMS', 'sse,json,modern').map((kind) => {
  if (!(kind in UPSTREAMS)) throw new Error(`BENCH_UPSTREAMS: unknown upstream "${kind}" (known: ${Object.keys(UPSTREAMS).join(', ')})`);
  return kind as UpstreamKind;
});

// ------------------------------------------------------------------------------------------
// formatting

const signedMs = (value: number): string => `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;
const rps = (value: number): string => Math.round(value).toLocaleString('en-US');
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;


// ------------------------------------------------------------------------------------------
// REST


// ------------------------------------------------------------------------------------------
// 1. throughput and added latency

/**
 * CPU time each process used during a phase, in ms; gatewaySystem is the kernel's share of the
 * gateway's (socket reads and writes, mostly: at concurrency 1 a large part of its time).
 */
type Cpu = { loadgen: number; upstream: number; gateway: number; gatewaySystem: number };
type Measured = Phase & { cpu: Cpu };
/**
 * The phases of one concurrency; `logged` is the gateway path through the debugLogging profile,
 * `floor` the bare forwarder's path (each empty when not run).
 */
type Pair = { direct: Measured[]; gateway: Measured[]; logged: Measured[]; floor: Measured[] };
/**
 * The paths through a hop: the gateway's profile for the upstream, bench-log (debug logging
 * on), and the floor (bench/proxy/floor.ts, a bare Node forwarder; its CPU is counted in the
 * `gateway` field of its phases).
 */
type CallPath = 'gateway' | 'logged' | 'floor';
/**
 * A CPU profile of the gateway over the measured rounds, the calls it served in them (both
 * paths) and the CPU its main thread used meanwhile: the profile's sample durations are wall
 * time, so this is what to divide its shares of, not the sum of its samples.
 */
type GatewayProfile = { path: string; calls: number; millis: number; mainThreadCpu: { user: number; system: number } };
/**
 * One upstream's results. loggedCalls: tools/call answered on the logged profile, warm-up
 * included (each is one debug-log row at least); metrics: null when the logged path did not run.
 */
type CallResults = { kind: UpstreamKind; pairs: Map<number, Pair>; loggedCalls: number; metrics: DebugLogMetrics | null; profile?: GatewayProfile };
type Pids = { upstream: number; gateway: number };

const cpuNow = (pids: Pids): Cpu => {
  const gateway = cpuSplitMillis(pids.gateway);
  return { loadgen: cpuMillis(process.pid), upstream: cpuMillis(pids.upstream), gateway: gateway.user + gateway.system, gatewaySystem: gateway.system };
};

const measured = async (pids: Pids, run: () => Promise<Phase>): Promise<Measured> => {
  const before = cpuNow(pids);
  const phase = await run();
  const after = cpuNow(pids);
  const cpu = Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - before[key as keyof Cpu]])) as Cpu;
  return { ...phase, cpu };
};

const connectAll = (url: string, modern = false): Promise<BenchClient[]> =>
  mapLimit(Array.from({ length: CLIENTS }), 8, () => (modern ? connectModernClient(url) : connectClient(url)));

/** Calls made at the highest concurrency, then at 1, so both code paths are optimised before measuring. */
const warmUp = async (clients: readonly BenchClient[]): Promise<number> => {
  const high = await runPhase(clients, CLIENTS, WARMUP_MS);
  const one = await runPhase(clients, 1, Math.ceil(WARMUP_MS / 4));
  return high.requests + one.requests;
};

/**
 * The gateway's CPU profile over the measured rounds only (BENCH_GATEWAY_PROFILE_DIR): start-up,
 * configuration and warm-up would otherwise dominate what --cpu-prof records.
 */
const profiled = async <T>(gateway: GatewayProcess, kind: UpstreamKind, run: () => Promise<T>): Promise<{ result: T; profile?: Omit<GatewayProfile, 'calls'> }> => {
  if (!PROFILE_DIR) return { result: await run() };
  mkdirSync(PROFILE_DIR, { recursive: true });
  const ask = async (message: Record<string, unknown>): Promise<{ path?: string }> => {
    const answer = await gateway.ask<{ path?: string; error?: string }>(message);
    if (answer.error !== undefined) throw new Error(`gateway ${String(message.type)}: ${answer.error}`);
    return answer;
  };
  await ask({ type: 'profile-start', intervalUs: PROFILE_INTERVAL_US });
  const started = performance.now();
  const before = cpuSplitMillis(gateway.pid, gateway.pid);
  const result = await run();
  const after = cpuSplitMillis(gateway.pid, gateway.pid);
  const millis = performance.now() - started;
  const { path } = await ask({ type: 'profile-stop', path: join(PROFILE_DIR, `gateway-${kind}.cpuprofile`) });
  return { result, profile: { path: String(path), millis, mainThreadCpu: { user: after.user - before.user, system: after.system - before.system } } };
};

const benchCalls = async (kind: UpstreamKind, upstream: Fixture, gateway: GatewayProcess, floor: Fixture | undefined): Promise<CallResults> => {
  const setup = UPSTREAMS[kind];
  const pids: Pids = { upstream: upstream.pid, gateway: gateway.pid };
  const pidsOf = (path: CallPath): Pids => (path === 'floor' && floor ? { upstream: upstream.pid, gateway: floor.pid } : pids);
  const paths: CallPath[] = [...(['gateway', 'logged'] as const).filter((path) => path === 'gateway' || setup.logged), ...(floor ? (['floor'] as const) : [])];
  const direct = await connectAll(upstream.url, setup.modern);
  const clients: Record<CallPath, BenchClient[]> = {
    gateway: await connectAll(`${gateway.url}/mcp/${setup.profile}`, setup.modern),
    logged: setup.logged ? await connectAll(`${gateway.url}/mcp/bench-log`) : [],
    floor: floor ? await connectAll(floor.url, setup.modern) : [],
  };
  const pairs = new Map<number, Pair>(CONCURRENCIES.map((concurrency) => [concurrency, { direct: [], gateway: [], logged: [], floor: [] }]));
  let loggedCalls = 0;
  let profile: GatewayProfile | undefined;
  try {
    if (WARMUP_MS > 0) {
      await warmUp(direct);
      for (const path of paths) {
        const calls = await warmUp(clients[path]);
        if (path === 'logged') loggedCalls += calls;
      }
    }
    const rounds = async (): Promise<void> => {
      for (let round = 1; round <= ROUNDS; round += 1) {
        for (const concurrency of CONCURRENCIES) {
          const pair = pairs.get(concurrency) as Pair;
          pair.direct.push(await measured(pids, () => runPhase(direct, concurrency, PHASE_MS)));
          // the paths in their order in odd rounds, reversed in even ones
          const order = round % 2 === 1 ? paths : [...paths].reverse();
          for (const path of order) pair[path].push(await measured(pidsOf(path), () => runPhase(clients[path], concurrency, PHASE_MS)));
          const last = (phases: Measured[]): Measured => phases[phases.length - 1];
          const d = last(pair.direct);
          const g = last(pair.gateway);
          const l = setup.logged ? last(pair.logged) : undefined;
          const f = floor ? last(pair.floor) : undefined;
          loggedCalls += l?.requests ?? 0;
          process.stderr.write(
            `  ${kind} round ${round}/${ROUNDS} c=${concurrency}: direct ${rps(perSecond(d))}/s, gateway ${rps(perSecond(g))}/s` +
              (l ? `, logged ${rps(perSecond(l))}/s` : '') +
              (f ? `, floor ${rps(perSecond(f))}/s` : '') +
              (order.length > 1 ? ` (${order.join(' then ')})` : '') +
              '\n',
          );
        }
      }
    };
    const run = await profiled(gateway, kind, rounds);
    if (run.profile) {
      const calls = [...pairs.values()].reduce((sum, pair) => sum + mergePhases([...pair.gateway, ...pair.logged]).requests, 0);
      profile = { ...run.profile, calls };
    }
  } finally {
    await mapLimit([...direct, ...clients.gateway, ...clients.logged, ...clients.floor], 16, disconnectClient);
  }
  const metrics = setup.logged ? await settledDebugLogMetrics(gateway.url, loggedCalls) : null;
  return { kind, pairs, loggedCalls, metrics, profile };
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

type CallReport = { text: string; pass: boolean; summary: string[][] };

/** Direct, floor and gateway side by side at one concurrency (the floor is a reference, not judged). */
const floorRow = (concurrency: number, pair: Pair): string[] => {
  const [direct, floor, gateway] = [pair.direct, pair.floor, pair.gateway].map(mergePhases);
  const added = (path: Phase): string => signedMs(quantile(path.latencies, 0.5) - quantile(direct.latencies, 0.5));
  const [floorCpu, gatewayCpu] = [perCallUs(pair.floor, 'gateway'), perCallUs(pair.gateway, 'gateway')];
  return [
    String(concurrency),
    rps(perSecond(direct)),
    rps(perSecond(floor)),
    rps(perSecond(gateway)),
    (perSecond(floor) / perSecond(direct)).toFixed(2),
    (perSecond(gateway) / perSecond(direct)).toFixed(2),
    added(floor),
    added(gateway),
    `${Math.round(floorCpu)} µs`,
    `${Math.round(gatewayCpu)} µs`,
    `${Math.round(gatewayCpu - floorCpu)} µs`,
  ];
};

/** µs per call, rounded, with its share of one core during the phases in brackets. */
const perCall = (phases: readonly Measured[], key: keyof Cpu): string => {
  const calls = phases.reduce((sum, phase) => sum + phase.requests, 0);
  const cpu = phases.reduce((sum, phase) => sum + phase.cpu[key], 0);
  const wall = phases.reduce((sum, phase) => sum + phase.millis, 0);
  return `${Math.round((cpu / calls) * 1000)} µs (${Math.round((cpu / wall) * 100)}%)`;
};

/** The debug-logging comparison (issue 5), for an upstream with the logged path. */
const reportLogging = (results: Map<number, Pair>, loggedCalls: number, metrics: DebugLogMetrics): { text: string; pass: boolean } => {
  let allPass = true;
  const loggingRows: string[][] = [];
  for (const concurrency of CONCURRENCIES) {
    const pair = results.get(concurrency) as Pair;
    const gateway = mergePhases(pair.gateway);
    const logged = mergePhases(pair.logged);
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
  }
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
    `Debug logging (issue 5): "logged" is the same upstream through profile bench-log (debugLogging: true; the upstream is registered with a secret X-Api-Key header, so every row goes through redaction), run next to the gateway phase in every round (gateway first in odd rounds, logged first in even ones); "gateway" is logging off. The ratio is logged / gateway req/s; gateway CPU is the gateway process's CPU per call.`,
    '',
    table(['concurrency', 'gateway req/s (logging off)', 'logged req/s', 'ratio', 'ratio per round', 'gateway CPU/call off', 'gateway CPU/call on', 'target', 'result'], loggingRows),
    '',
    `Debug-log rows, from GET /metrics after the logged clients closed (read for ${(metrics.waitedMs / 1000).toFixed(1)} s until settled): ${loggedCalls.toLocaleString('en-US')} tools/call answered on bench-log, ${measuredLogged.toLocaleString('en-US')} of them in the measured phases and the rest in warm-up; each session's initialize and notifications/initialized are logged too.`,
    '',
    table(['counter', 'value', 'target', 'result'], metricRows),
  ].join('\n');
  return { text, pass: allPass };
};

/** One upstream's tables: throughput, (debug logging,) latency, CPU per call and the CPU budget. */
const reportCalls = ({ kind, pairs: results, loggedCalls, metrics, profile }: CallResults): CallReport => {
  const { targets, logged: withLog, about, profile: slug } = UPSTREAMS[kind];
  let allPass = true;
  const throughputRows: string[][] = [];
  const latencyRows: string[][] = [];
  const cpuRows: string[][] = [];
  const floorRows: string[][] = [];
  const summary: string[][] = [];
  const ceilings: string[] = [];
  // The logged columns only exist for the upstream that runs the logged path.
  const ifLogged = (cells: string[]): string[] => (withLog ? cells : []);
  for (const concurrency of CONCURRENCIES) {
    const pair = results.get(concurrency) as Pair;
    const direct = mergePhases(pair.direct);
    const gateway = mergePhases(pair.gateway);
    const logged = mergePhases(pair.logged);
    const ratio = perSecond(gateway) / perSecond(direct);
    const perRound = pair.gateway.map((phase, i) => perSecond(phase) / perSecond(pair.direct[i]));
    const target = concurrency === 1 ? targets.ratioOne : targets.ratioHigh;
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
    let p50Pass = true;
    for (const [label, q] of [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]] as const) {
      const added = quantile(gateway.latencies, q) - quantile(direct.latencies, q);
      const judged = concurrency === 1 && label === 'p50';
      if (judged) p50Pass = added <= targets.addedP50Ms;
      latencyRows.push([
        String(concurrency),
        label,
        ms(quantile(direct.latencies, q)),
        ms(quantile(gateway.latencies, q)),
        signedMs(added),
        ...ifLogged([ms(quantile(logged.latencies, q)), signedMs(quantile(logged.latencies, q) - quantile(gateway.latencies, q))]),
        judged ? `≤ ${targets.addedP50Ms} ms` : '—',
        judged ? mark(added <= targets.addedP50Ms) : '—',
      ]);
    }
    allPass &&= p50Pass;
    const addedP50 = quantile(gateway.latencies, 0.5) - quantile(direct.latencies, 0.5);
    summary.push([
      kind,
      String(concurrency),
      rps(perSecond(direct)),
      rps(perSecond(gateway)),
      ratio.toFixed(2),
      `≥ ${target}`,
      signedMs(addedP50),
      concurrency === 1 ? `≤ ${targets.addedP50Ms} ms` : '—',
      `${Math.round(perCallUs(pair.gateway, 'gateway'))} µs`,
      mark(pass && p50Pass),
    ]);
    ceilings.push(cpuBudget(concurrency, pair, perSecond(direct), target));
    cpuRows.push([String(concurrency), 'direct', perCall(pair.direct, 'loadgen'), perCall(pair.direct, 'upstream'), '—', '—']);
    cpuRows.push([String(concurrency), 'gateway', perCall(pair.gateway, 'loadgen'), perCall(pair.gateway, 'upstream'), perCall(pair.gateway, 'gateway'), `${Math.round(perCallUs(pair.gateway, 'gatewaySystem'))} µs`]);
    if (withLog) cpuRows.push([String(concurrency), 'logged', perCall(pair.logged, 'loadgen'), perCall(pair.logged, 'upstream'), perCall(pair.logged, 'gateway'), `${Math.round(perCallUs(pair.logged, 'gatewaySystem'))} µs`]);
    if (pair.floor.length > 0) {
      cpuRows.push([String(concurrency), 'floor', perCall(pair.floor, 'loadgen'), perCall(pair.floor, 'upstream'), perCall(pair.floor, 'gateway'), `${Math.round(perCallUs(pair.floor, 'gatewaySystem'))} µs`]);
      floorRows.push(floorRow(concurrency, pair));
    }
    if (direct.errors + gateway.errors + logged.errors > 0) {
      allPass = false;
      latencyRows.push([String(concurrency), 'errors', String(direct.errors), String(gateway.errors), '', ...ifLogged([String(logged.errors), '']), '0', mark(false)]);
    }
  }
  const counts = CONCURRENCIES.map((concurrency) => {
    const pair = results.get(concurrency) as Pair;
    const calls = (phases: Measured[]): string => mergePhases(phases).requests.toLocaleString('en-US');
    return `c=${concurrency}: ${calls(pair.direct)} direct / ${calls(pair.gateway)} gateway${withLog ? ` / ${calls(pair.logged)} logged` : ''}${pair.floor.length > 0 ? ` / ${calls(pair.floor)} floor` : ''} calls`;
  }).join('; ');
  const logging = withLog && metrics ? reportLogging(results, loggedCalls, metrics) : undefined;
  allPass &&= logging?.pass ?? true;
  const text = [
    `#### Upstream "${kind}": ${about}; gateway profile ${slug}`,
    '',
    `${ROUNDS} rounds × ${PHASE_MS} ms per phase, alternating direct/gateway${withLog ? '/logged' : ''}${FLOOR ? '/floor' : ''}; ${counts}.`,
    '',
    table(['concurrency', 'direct req/s', 'gateway req/s', 'ratio', 'ratio per round', 'target', 'result'], throughputRows),
    '',
    ...(logging ? [logging.text, ''] : []),
    'Latency per call (pooled over the rounds); "added" is gateway minus direct at the same quantile, the target applies at concurrency 1 (above it includes queueing).',
    '',
    table(['concurrency', 'quantile', 'direct', 'gateway', 'added', ...ifLogged(['logged', 'added by logging']), 'target', 'result'], latencyRows),
    '',
    "CPU time per call of each process (user + system of all its threads, from /proc/<pid>/stat; in brackets, its share of one core during the phases; then the gateway's system time alone; on the floor path the gateway columns are the forwarder's):",
    '',
    table(['concurrency', 'path', 'load generator', 'upstream', 'gateway', 'of which gateway system'], cpuRows),
    '',
    ...(floorRows.length > 0
      ? [
          'Floor: the same clients and upstream through bench/proxy/floor.ts (a bare node:http forwarder with a keep-alive agent and no MCP logic, which parses and re-serialises every JSON body), in the same rounds; what any Node hop costs, beside what the gateway costs:',
          '',
          table(['concurrency', 'direct req/s', 'floor req/s', 'gateway req/s', 'floor ratio', 'gateway ratio', 'floor added p50', 'gateway added p50', 'floor CPU/call', 'gateway CPU/call', 'gateway − floor'], floorRows),
          '',
        ]
      : []),
    `CPU budget on this machine (${cpus().length} cores):`,
    '',
    ...ceilings,
    ...(profile
      ? [
          '',
          `Gateway CPU profile over the measured rounds (${(profile.millis / 1000).toFixed(1)} s, direct${FLOOR ? ' and floor' : ''} phases included, sampled every ${PROFILE_INTERVAL_US} µs): ${profile.path}; the gateway served ${profile.calls.toLocaleString('en-US')} tools/call in it${withLog ? ' (gateway and logged paths)' : ''}, and its main thread used ${profile.mainThreadCpu.user + profile.mainThreadCpu.system} ms of CPU (${profile.mainThreadCpu.system} ms system), ${Math.round(((profile.mainThreadCpu.user + profile.mainThreadCpu.system) / profile.calls) * 1000)} µs per call (profiler included).`,
        ]
      : []),
  ].join('\n');
  return { text, pass: allPass, summary };
};

/** Part 1 over every upstream: a summary, then each upstream's tables. */
const reportAllCalls = (all: readonly CallResults[]): { text: string; pass: boolean } => {
  const reports = all.map(reportCalls);
  const text = [
    `### 1. tools/call (echo) over Streamable HTTP: direct vs through the gateway`,
    '',
    `Per upstream, alternating direct/gateway phases at concurrency ${CONCURRENCIES.join(' and ')}; closed loop, one SDK client (session) per worker. Summary (gateway CPU is the gateway process's CPU per call):`,
    '',
    table(['upstream', 'concurrency', 'direct req/s', 'gateway req/s', 'ratio', 'target', 'added p50', 'target', 'gateway CPU/call', 'result'], reports.flatMap((report) => report.summary)),
    '',
    ...reports.flatMap((report) => [report.text, '']),
  ].join('\n');
  return { text: text.trimEnd(), pass: reports.every((report) => report.pass) };
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
      const { tools } = await client.listTools();
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
    // The SSE upstream serves parts 2 and 3 too; the JSON one only part 1.
    const kinds: UpstreamKind[] = ['sse', ...(PARTS.has(1) ? UPSTREAM_KINDS.filter((kind) => kind !== 'sse') : [])];
    const upstreams = new Map<UpstreamKind, Fixture>();
    for (const kind of kinds) upstreams.set(kind, await startHttpFixture(UPSTREAMS[kind].fixture, [], { cpus: PIN ? '0' : undefined }));
    // A floor per upstream of part 1, placed as the gateway is (it idles while the gateway is measured, and the other way round).
    const floors = new Map<UpstreamKind, Fixture>();
    if (PARTS.has(1) && FLOOR) for (const kind of UPSTREAM_KINDS) floors.set(kind, await startFloor((upstreams.get(kind) as Fixture).url, { cpus: PIN ? '1' : undefined }));
    const upstream = upstreams.get('sse') as Fixture;
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
      ? 'load generator (this process) and upstreams pinned to CPU 0, gateway (and floors) pinned to CPU 1 (BENCH_PIN=1)'
      : 'load generator (this process), upstream fixtures, floors and gateway, each its own process, not pinned: the OS schedules them over the cores';
    const upstreamPids = [...upstreams, ...[...floors].map(([kind, floor]) => [`${kind} floor`, floor] as const)]
      .map(([kind, fixture]) => `${kind}${kind.endsWith('floor') ? '' : ' upstream'} pid ${fixture.pid} (${fixture.url})`)
      .join(', ');

    console.log(`## Proxy benchmark (\`npm run bench:proxy\`)`);
    console.log('');
    console.log(`- machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${mib(totalmem())} RAM, ${platform()} ${release()}, Node ${process.version}`);
    console.log(`- processes: ${placement}; ${upstreamPids}, gateway pid ${gateway.pid} (${gateway.url}), load generator pid ${process.pid}`);
    console.log(`- load average before: ${loadavg().map((value) => value.toFixed(2)).join(', ')} (other work on the machine competes for the same cores)`);
    console.log(`- clients: @modelcontextprotocol/sdk Client + StreamableHTTPClientTransport (2025-11-25), and for the "modern" upstream @modelcontextprotocol/client pinned to 2026-07-28; gateway: GATEHOUSE_LOG_LEVEL=warn, one profile per upstream (bench: sse, bench-json: json, bench-2026: modern) with auth.apiKey=false, toolPrefix=never (part 1 adds bench-log, bench's upstream with debugLogging=true); upstreams registered with a secret X-Api-Key header`);
    console.log('');

    for (const [kind, fixture] of upstreams) {
      const { server, profile } = UPSTREAMS[kind];
      await api(gateway.url, 'POST', '/api/servers', { name: server, transport: 'streamable_http', url: fixture.url, headers: UPSTREAM_SECRET_HEADER });
      await api(gateway.url, 'POST', '/api/profiles', { slug: profile, name: `Bench (${kind})`, auth: { apiKey: false }, toolPrefix: 'never' });
      await api(gateway.url, 'PUT', `/api/profiles/${profile}/servers/${server}`, { status: 'active' });
    }
    await sleep(200);

    // Part 2 runs first, on a gateway that has not yet carried the call load, so that its RSS
    // baseline is not inflated (and then partly returned) by part 1.
    const results: { part: number; text: string; pass: boolean }[] = [];
    if (PARTS.has(2)) {
      process.stderr.write('part 2: idle sessions…\n');
      results.push({ part: 2, ...(await benchSessions(`${gateway.url}/mcp/bench`, gateway)) });
    }
    if (PARTS.has(1)) {
      if (UPSTREAM_KINDS.some((kind) => UPSTREAMS[kind].logged)) {
        await api(gateway.url, 'POST', '/api/profiles', { slug: 'bench-log', name: 'Bench (debug logging)', auth: { apiKey: false }, toolPrefix: 'never', debugLogging: true });
        await api(gateway.url, 'PUT', `/api/profiles/bench-log/servers/${UPSTREAMS.sse.server}`, { status: 'active' });
        await sleep(200);
      }
      const calls: CallResults[] = [];
      for (const kind of UPSTREAM_KINDS) {
        process.stderr.write(`part 1, upstream ${kind}: tools/call direct vs gateway${UPSTREAMS[kind].logged ? ' vs gateway with debug logging' : ''}…\n`);
        calls.push(await benchCalls(kind, upstreams.get(kind) as Fixture, gateway, floors.get(kind)));
      }
      results.push({ part: 1, ...reportAllCalls(calls) });
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
    for (const fixture of upstreams.values()) await stopChild(fixture.child);
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
