/**
 * Event store benchmark: `npm run bench:store`.
 *
 * (a) commands per second through the command services (createProfile / attachServer / setTool)
 *     on a SQLite file in WAL mode, every command durable before it is answered: one caller at a
 *     time, then BENCH_CALLERS (64) at once (group commit);
 * (b) rebuild speed of every read model over a generated log of realistic events, and over a log of
 *     their own of users, access, personal tokens, users' credentials and OAuth (BENCH_IDENTITY_EVENTS);
 * (c) latency of `GET /api/profiles/:slug?at=<position>` over the real HTTP server on that log;
 * (d) a burst of REST writes from 64 clients beside a health probe and an MCP client (store/burst.ts);
 * (e) PostgreSQL only: a change on instance A seen on instance B, two applications on one database,
 *     BENCH_ACROSS changes (200) one after another, each timed from the start of A's command to B's log
 *     follower emitting its event (what refreshes B's caches and tells its sessions), woken by LISTEN/NOTIFY.
 *
 * `-- --backend postgres` runs (a), (b), (c) and (e) on PostgreSQL instead: a database of their own
 * on the server at BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * dropped at the end; (d) runs on SQLite only.
 *
 * BENCH_SCENARIOS picks some (e.g. `d` or `a,b`; all by default). Sizes can be changed with
 * BENCH_COMMANDS, BENCH_CALLERS, BENCH_EVENTS, BENCH_IDENTITY_EVENTS, BENCH_REQUESTS, BENCH_BURST_WRITERS and BENCH_BURST_MS
 * (BENCH_ONLY_CONCURRENT=1 skips (a)'s one-caller run); BENCH_KEEP=1 keeps
 * the data directory and, on PostgreSQL, the bench's databases (for profiling queries on the generated log; drop them after).
 */
import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startGatehouse } from '../src/api/gatehouse';
import type { ApiKeyEvent } from '../src/domain/apikey/events';
import type { ProfileEvent, ToolOverride } from '../src/domain/profile/events';
import type { DiscoveredTool, ServerEvent } from '../src/domain/server/events';
import type { SettingsEvent } from '../src/domain/settings/events';
import { openApplication, type Application } from '../src/infrastructure/application';
import type { CommandContext } from '../src/infrastructure/commands/handle-command';
import { loadConfig } from '../src/infrastructure/config/config';
import { LogFollower, type EventMetadata, type StreamAppend } from '../src/infrastructure/eventstore';
import { READ_MODEL_ENTITIES } from '../src/infrastructure/readmodels';
import { Client } from 'pg';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { appendGenerated, identityLog } from '../test/support/identity-log';
import { benchBurst, burstRows } from './store/burst';
import { storageOf } from '../src/infrastructure/application-storage';

const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 3_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const IDENTITY_EVENTS = Number(process.env.BENCH_IDENTITY_EVENTS ?? 20_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const CONCURRENT_CALLERS = Number(process.env.BENCH_CALLERS ?? 64);
const ACROSS = Number(process.env.BENCH_ACROSS ?? 200);
/** BENCH_ONLY_CONCURRENT=1: scenario (a) without its one-caller run (for profiling group commit). */
const ONLY_CONCURRENT = process.env.BENCH_ONLY_CONCURRENT === '1';
const SECRET_KEY = 'b'.repeat(64);
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

type DomainEventUnion = ProfileEvent | ServerEvent | ApiKeyEvent | SettingsEvent;

/** Deterministic, so that two runs generate the same log (mulberry32). */
const random = (() => {
  let seed = 0x6a7e_4011;
  return (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
})();
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const ms = (value: number): string => `${value.toFixed(1)} ms`;
const rate = (count: number, millis: number): number => Math.round((count / millis) * 1000);

const BACKEND = process.argv.includes('--backend') ? process.argv[process.argv.indexOf('--backend') + 1] : 'sqlite';
if (BACKEND !== 'sqlite' && BACKEND !== 'postgres') throw new Error(`--backend must be sqlite or postgres, got ${BACKEND}`);
const POSTGRES_SERVER = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** The PostgreSQL database of each bench data directory (created on first use, dropped at the end). */
const databases = new Map<string, string>();

const onServer = async (sql: string): Promise<void> => {
  const client = new Client({ connectionString: POSTGRES_SERVER });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};

const ensureDatabase = async (dir: string): Promise<void> => {
  if (BACKEND !== 'postgres' || databases.has(dir)) return;
  const name = `gatehouse_bench_${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`;
  await onServer(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
  const url = new URL(POSTGRES_SERVER);
  url.pathname = `/${name}`;
  databases.set(dir, url.toString());
};

const configOf = (dir: string) =>
  loadConfig({
    GATEHOUSE_DATA_DIR: dir, GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: '0', GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, GATEHOUSE_SECRET_KEY: SECRET_KEY,
    ...(databases.has(dir) ? { GATEHOUSE_DATABASE_URL: databases.get(dir) } : {}),
  });

const openBenchApplication = async (dir: string): Promise<Application> => {
  await ensureDatabase(dir);
  return openApplication(configOf(dir));
};

// (a) ---------------------------------------------------------------------------------------

type CommandResult = { commands: number; millis: number; latencies: number[]; synchronous: string; journalMode: string; cpuMicros: number };

/**
 * createProfile, attachServer, setTool in turn, each awaited: the single-writer path a REST
 * request takes. `concurrency` callers at once, each on profiles of its own (no conflicts): with
 * one, every command is a commit of its own; with many, group commit puts those that arrive
 * during a commit into the next one.
 */
const benchCommands = async (dir: string, concurrency: number): Promise<CommandResult> => {
  const app = await openBenchApplication(dir);
  try {
    const { commands } = app;
    const command = (): CommandContext => ({ actor: 'bench', correlationId: randomUUID() });
    const serverIds: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const { serverId } = await commands.servers.register({ name: `server-${i}`, transport: 'stdio', command: 'node', args: [`s${i}.js`], env: { TOKEN: `secret-${i}-0123456789` } }, command());
      serverIds.push(serverId);
    }
    const latencies: number[] = [];
    const perCaller = Math.ceil(COMMANDS / concurrency);
    const caller = async (c: number): Promise<void> => {
      const profileIds: string[] = [];
      for (let i = 0; i < perCaller; i += 1) {
        const t0 = performance.now();
        if (i % 3 === 0 || profileIds.length === 0) {
          const { profileId } = await commands.profiles.create({ slug: `profile-${c}-${i}`, description: `Profile number ${i} of caller ${c}` }, command());
          profileIds.push(profileId);
        } else if (i % 3 === 1) {
          await commands.profiles.attach(profileIds[profileIds.length - 1], serverIds[i % serverIds.length], 'active', command());
        } else {
          await commands.profiles.setTool(pick(profileIds), pick(serverIds), `tool_${i % 50}`, { description: `Tool description ${i}`, status: i % 2 === 0 ? 'active' : 'inactive' }, command());
        }
        latencies.push(performance.now() - t0);
      }
    };
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await Promise.all(Array.from({ length: concurrency }, (_, c) => caller(c)));
    const millis = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const { synchronous, journalMode } = await storageOf(app).database.commitMode();
    return { commands: latencies.length, millis, latencies: latencies.sort((a, b) => a - b), synchronous, journalMode, cpuMicros: cpu.user + cpu.system };
  } finally {
    await app.close();
  }
};

// (b) ---------------------------------------------------------------------------------------

type Profile = {
  id: string;
  slug: string;
  createdAt: number;
  servers: Map<string, 'active' | 'inactive'>;
  tools: Map<string, { serverId: string; toolName: string; status: 'active' | 'inactive'; override: ToolOverride }>;
  updates: number;
};

type Server = { id: string; tools: string[] };

type Generated = { profiles: Profile[]; hot: Profile[]; appended: number; millis: number; versions: ReadonlyMap<string, number> };

const discovered = (count: number, serverIndex: number): DiscoveredTool[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `tool_${serverIndex}_${i}`,
    title: `Tool ${i} of server ${serverIndex}`,
    description: `Does thing ${i}. `.repeat(4),
    inputSchema: { type: 'object', properties: { path: { type: 'string' }, depth: { type: 'integer', minimum: 0 } }, required: ['path'] },
    annotations: { readOnlyHint: i % 2 === 0 },
  }));

/** One step of a profile's life that its current state allows, as the decider would decide it. */
const nextProfileEvent = (profile: Profile, servers: readonly Server[]): ProfileEvent => {
  const profileId = profile.id;
  const roll = random();
  const attached = [...profile.servers.keys()];
  if (attached.length === 0 || (roll < 0.12 && attached.length < 6)) {
    const free = servers.filter((server) => !profile.servers.has(server.id));
    const server = pick(free);
    profile.servers.set(server.id, 'active');
    return { type: 'ServerAttached', data: { profileId, serverId: server.id, status: 'active' } };
  }
  if (roll < 0.2) {
    const serverId = pick(attached);
    const status = profile.servers.get(serverId) === 'active' ? 'inactive' : 'active';
    profile.servers.set(serverId, status);
    return { type: 'ServerStatusChanged', data: { profileId, serverId, status } };
  }
  if (roll < 0.23 && attached.length > 1) {
    const serverId = pick(attached);
    profile.servers.delete(serverId);
    return { type: 'ServerDetached', data: { profileId, serverId, reason: 'detached' } };
  }
  if (roll < 0.28) {
    profile.updates += 1;
    return { type: 'ProfileUpdated', data: { profileId, changes: { name: `Profile ${profile.slug} v${profile.updates}`, description: `Revision ${profile.updates}` } } };
  }
  const serverId = pick(attached);
  const server = servers.find((candidate) => candidate.id === serverId) as Server;
  const toolName = pick(server.tools);
  const key = `${server.id}/${toolName}`;
  const current = profile.tools.get(key) ?? { serverId: server.id, toolName, status: 'active' as const, override: {} };
  if (roll < 0.55) {
    const status = current.status === 'active' ? 'inactive' : 'active';
    profile.tools.set(key, { ...current, status });
    return { type: 'ToolStatusChanged', data: { profileId, serverId: server.id, toolName, status } };
  }
  if (roll < 0.62 && Object.keys(current.override).length > 0) {
    profile.tools.set(key, { ...current, override: {} });
    return { type: 'ToolOverrideCleared', data: { profileId, serverId: server.id, toolName } };
  }
  const override: ToolOverride = { title: `Custom ${toolName}`, description: `Tuned for ${profile.slug} at ${Math.floor(random() * 1e6)}` };
  profile.tools.set(key, { ...current, override });
  return { type: 'ToolOverridden', data: { profileId, serverId: server.id, toolName, override } };
};

/**
 * Appends a realistic log through the store (inline projections included) in big transactions:
 * servers with secrets and discovered tools, profiles with links and tool settings interleaved
 * across streams, a few long-lived "hot" profiles, API keys and settings changes.
 */
const generateLog = async (db: Application, total: number): Promise<Generated> => {
  const versions = new Map<string, number>();
  let clock = Date.parse('2025-01-01T00:00:00Z');
  let pending: StreamAppend[] = [];
  const metadataOf = (): EventMetadata => ({ actor: 'admin', correlationId: randomUUID(), causationId: null, recordedAt: new Date((clock += 1_000)).toISOString() });
  let appended = 0;
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    await db.store.transact(async (tx) => {
      for (const append of batch) await tx.appendMany([append], metadataOf());
    });
  };
  const emit = async (streamId: string, event: DomainEventUnion): Promise<void> => {
    const version = versions.get(streamId) ?? 0;
    versions.set(streamId, version + 1);
    pending.push({ streamId, events: [{ id: randomUUID(), type: event.type, data: event.data }], expectedVersion: version === 0 ? 'no_stream' : version });
    appended += 1;
    if (pending.length >= 5_000) await flush();
  };

  const started = performance.now();
  const servers: Server[] = [];
  for (let i = 0; i < 200; i += 1) {
    const id = randomUUID();
    const http = i % 3 === 0;
    await emit(`server-${id}`, {
      type: 'ServerRegistered',
      data: {
        serverId: id, name: `server-${i}`, description: `Upstream ${i}`, transport: http ? 'streamable_http' : 'stdio',
        command: http ? null : 'node', args: http ? [] : [`server-${i}.js`, '--verbose'], env: http ? {} : { API_TOKEN: db.secrets.seal(`env-secret-${i}-abcdefgh`) },
        cwd: null, url: http ? `https://mcp-${i}.example.com/mcp` : null, headers: http ? { Authorization: db.secrets.seal(`Bearer header-secret-${i}`) } : {},
        bearerToken: null, timeoutMs: 30_000, isolation: 'shared', toolPinning: 'off', credentials: 'shared',
      },
    });
    const tools = discovered(5 + (i % 16), i);
    await emit(`server-${id}`, { type: 'ServerToolsDiscovered', data: { serverId: id, tools, fingerprint: createHash('sha256').update(JSON.stringify(tools)).digest('hex') } });
    servers.push({ id, tools: tools.map((tool) => tool.name) });
  }
  for (let i = 0; i < 100; i += 1) {
    await emit('settings', { type: 'SettingsChanged', data: { changes: { requestTimeoutMs: 10_000 + i * 100, logRetentionDays: 1 + (i % 30) } } });
  }

  const profiles: Profile[] = [];
  const newProfile = async (): Promise<Profile> => {
    const profile: Profile = { id: randomUUID(), slug: `profile-${profiles.length}`, createdAt: 0, servers: new Map(), tools: new Map(), updates: 0 };
    await emit(`profile-${profile.id}`, {
      type: 'ProfileCreated',
      data: { profileId: profile.id, slug: profile.slug, name: `Profile ${profiles.length}`, description: null, toolPrefix: 'always', toolExposure: 'all', adaptiveToolLimit: 20, auth: { apiKey: true, queryParam: false }, debugLogging: false },
    });
    profile.createdAt = appended;
    profiles.push(profile);
    return profile;
  };
  const hot: Profile[] = [];
  for (let i = 0; i < 5; i += 1) hot.push(await newProfile());

  const profileCount = Math.max(10, Math.floor(total / 50));
  while (appended < total) {
    const roll = random();
    if (profiles.length < profileCount && roll < 0.03) {
      await newProfile();
    } else if (roll < 0.035) {
      const keyId = randomUUID();
      await emit(`apikey-${keyId}`, {
        type: 'ApiKeyIssued',
        data: { keyId, name: `key-${keyId.slice(0, 8)}`, hash: createHash('sha256').update(keyId).digest('hex'), prefix: 'gh_bench00', profiles: [pick(profiles).id], expiresAt: null },
      });
    } else {
      const profile = roll < 0.1 ? pick(hot) : pick(profiles);
      await emit(`profile-${profile.id}`, nextProfileEvent(profile, servers));
    }
  }
  await flush();
  // Positions are contiguous from 1 in a fresh log, which is what `createdAt` relies on.
  if ((await db.store.headPosition()) !== appended) throw new Error('the generated log is not contiguous');
  return { profiles, hot, appended, millis: performance.now() - started, versions };
};

const tableCounts = async (db: Application): Promise<Record<string, number>> => {
  const counts: Record<string, number> = {};
  for (const entity of READ_MODEL_ENTITIES) {
    counts[storageOf(db).database.reads.connection.getMetadata(entity).tableName] = await storageOf(db).database.reads.getRepository(entity).count();
  }
  return counts;
};

// (c) ---------------------------------------------------------------------------------------

type Latency = { requests: number; p50: number; p95: number; max: number; hotP95: number };

/** Sequential requests (no queueing in the numbers) at random positions where the profile existed. */
const benchProfileAt = async (dir: string, generated: Generated, head: number): Promise<Latency> => {
  const gatehouse = await startGatehouse({ config: configOf(dir) });
  try {
    const sample = async (profile: Profile): Promise<number> => {
      const at = profile.createdAt + Math.floor(random() * (head - profile.createdAt + 1));
      const t0 = performance.now();
      const response = await fetch(`${gatehouse.url}/api/profiles/${profile.slug}?at=${at}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const body = (await response.json()) as { slug?: string };
      const elapsed = performance.now() - t0;
      if (response.status !== 200 || body.slug !== profile.slug) throw new Error(`GET ${profile.slug}?at=${at}: ${response.status} ${JSON.stringify(body)}`);
      return elapsed;
    };
    for (let i = 0; i < 10; i += 1) await sample(pick(generated.profiles));
    const all: number[] = [];
    const hot: number[] = [];
    for (let i = 0; i < REQUESTS; i += 1) {
      const isHot = i % 10 === 0;
      const elapsed = await sample(isHot ? pick(generated.hot) : pick(generated.profiles));
      all.push(elapsed);
      if (isHot) hot.push(elapsed);
    }
    all.sort((a, b) => a - b);
    hot.sort((a, b) => a - b);
    return { requests: all.length, p50: quantile(all, 0.5), p95: quantile(all, 0.95), max: all[all.length - 1], hotP95: quantile(hot, 0.95) };
  } finally {
    await gatehouse.close();
  }
};

// -------------------------------------------------------------------------------------------

const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'a,b,c,d,e').split(',').map((part) => part.trim()));
const ok = (pass: boolean): string => (pass ? 'yes' : '**no**');

const commandRows = async (root: string): Promise<string[][]> => {
  const rows: string[][] = [];
  const runs = [[1, 2_000], [CONCURRENT_CALLERS, 5_000]] as const;
  for (const [concurrency, target] of runs.filter(([concurrency]) => concurrency !== 1 || !ONLY_CONCURRENT)) {
    const commands = await benchCommands(join(root, `commands-${concurrency}`), concurrency);
    const commandRate = rate(commands.commands, commands.millis);
    const how = concurrency === 1 ? 'sequential' : `from ${concurrency} concurrent callers (group commit)`;
    rows.push([
      `(a) commands through the command path (createProfile / attachServer / setTool, ${commands.commands} ${how}, journal_mode=${commands.journalMode}, synchronous=${commands.synchronous})`,
      // CPU time of the whole process (every thread) per command: what a loaded machine's share of the cores does not change much.
      `${commandRate.toLocaleString('en')} commands/s (p50 ${ms(quantile(commands.latencies, 0.5))}, p99 ${ms(quantile(commands.latencies, 0.99))}; ${Math.round(commands.cpuMicros / commands.commands)} µs of CPU per command)`,
      `≥ ${target.toLocaleString('en')}/s`, ok(commandRate >= target),
    ]);
  }
  return rows;
};

type RebuildMemory = { rssBefore: number; heapUsedBefore: number; peakRss: number; peakHeapUsed: number };

/**
 * The process's memory, sampled every 10 ms from now until `stop` (a rebuild yields to the loop at
 * every statement, so the timer runs through it), and once more at the end.
 */
const sampleMemory = (): { stop: () => RebuildMemory } => {
  const before = process.memoryUsage();
  const memory: RebuildMemory = { rssBefore: before.rss, heapUsedBefore: before.heapUsed, peakRss: before.rss, peakHeapUsed: before.heapUsed };
  const sample = (): void => {
    const now = process.memoryUsage();
    memory.peakRss = Math.max(memory.peakRss, now.rss);
    memory.peakHeapUsed = Math.max(memory.peakHeapUsed, now.heapUsed);
  };
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return memory;
    },
  };
};

/**
 * (b), second log: events of the read models the profile-and-server log has none of (users, access,
 * personal tokens, users' credentials, OAuth), every type, on a database of its own so that the
 * first log's numbers stay as they were. The rebuild's CPU time too (the process's, every thread).
 */
const identityRows = async (root: string): Promise<string[][]> => {
  const db = await openBenchApplication(join(root, 'identity'));
  try {
    const events = identityLog(IDENTITY_EVENTS, (plaintext) => db.secrets.seal(plaintext));
    let clock = Date.parse('2025-06-01T00:00:00Z');
    await appendGenerated(db.store, events, () => new Date((clock += 1_000)), 5_000);
    const before = await tableCounts(db);
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    const rebuilt = await storageOf(db).store.rebuild();
    const millis = performance.now() - t0;
    const cpu = process.cpuUsage(cpuBefore);
    const after = await tableCounts(db);
    if (JSON.stringify(before) !== JSON.stringify(after)) throw new Error(`rebuild changed the read models: ${JSON.stringify({ before, after })}`);
    process.stdout.write(`Generated ${rebuilt} events of users, access, personal tokens, credentials and OAuth; read models ${JSON.stringify(after)}\n\n`);
    return [[
      `(b) rebuild of every read model over ${rebuilt.toLocaleString('en')} events of users, access, personal tokens, users' credentials and OAuth`,
      `${rate(rebuilt, millis).toLocaleString('en')} events/s (${ms(millis)}; ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of the bench process's CPU)`, '—', '—',
    ]];
  } finally {
    await db.close();
  }
};

/** (b) and (c): both on the generated log. */
const logRows = async (root: string): Promise<string[][]> => {
  const logDir = join(root, 'log');
  const db = await openBenchApplication(logDir);
  let generated: Generated;
  let rebuildMillis = 0;
  let rebuilt = 0;
  let memory: RebuildMemory | undefined;
  let head: number;
  try {
    generated = await generateLog(db, EVENTS);
    head = await db.store.headPosition();
    if (SCENARIOS.has('b')) {
      const before = await tableCounts(db);
      const sampling = sampleMemory();
      const t0 = performance.now();
      rebuilt = await storageOf(db).store.rebuild();
      rebuildMillis = performance.now() - t0;
      memory = sampling.stop();
      const after = await tableCounts(db);
      if (JSON.stringify(before) !== JSON.stringify(after)) throw new Error(`rebuild changed the read models: ${JSON.stringify({ before, after })}`);
    }
    const lengths = generated.profiles.map((profile) => generated.versions.get(`profile-${profile.id}`) ?? 0);
    const avg = lengths.reduce((sum, n) => sum + n, 0) / lengths.length;
    process.stdout.write(`Generated ${generated.appended} events (${generated.profiles.length} profiles, 200 servers; profile streams avg ${avg.toFixed(0)}, max ${Math.max(...lengths)} events) in ${(generated.millis / 1000).toFixed(1)} s; read models ${JSON.stringify(await tableCounts(db))}\n\n`);
  } finally {
    await db.close();
  }
  const rows: string[][] = [];
  if (SCENARIOS.has('b')) {
    const eventsRate = rate(rebuilt, rebuildMillis);
    rows.push([`(b) rebuild of every read model over ${rebuilt.toLocaleString('en')} events`, `${eventsRate.toLocaleString('en')} events/s (${ms(rebuildMillis)})`, '≥ 20,000/s', ok(eventsRate >= 20_000)]);
    if (memory !== undefined) {
      const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
      rows.push([
        '(b) memory of the bench process during that rebuild (peak, sampled every 10 ms; before it)',
        `RSS ${mib(memory.peakRss)} (${mib(memory.rssBefore)}), heap used ${mib(memory.peakHeapUsed)} (${mib(memory.heapUsedBefore)})`, '—', '—',
      ]);
    }
  }
  if (SCENARIOS.has('c')) {
    const latency = await benchProfileAt(logDir, generated, head);
    rows.push([`(c) GET /api/profiles/:slug?at=<position> over HTTP, ${latency.requests} requests`, `p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)}, max ${ms(latency.max)} (hot profiles p95 ${ms(latency.hotP95)})`, '≤ 20 ms', ok(latency.p95 <= 20)]);
  }
  return rows;
};

// (e) ---------------------------------------------------------------------------------------

/**
 * Two applications on one PostgreSQL database, as two instances have: each change is a command on
 * A (a profile's description), timed until B's log follower emits it. B's follower polls only once a
 * minute, so what it sees sooner it was woken for (LISTEN/NOTIFY), as a serving instance's is.
 */
const acrossRows = async (root: string): Promise<string[][]> => {
  const dirA = join(root, 'across-a');
  const dirB = join(root, 'across-b');
  const a = await openBenchApplication(dirA);
  databases.set(dirB, databases.get(dirA) as string);
  const b = await openApplication(configOf(dirB));
  const follower = new LogFollower(b.store, { intervalMs: 60_000 });
  let stopListening: (() => Promise<void>) | null = null;
  try {
    await follower.start();
    stopListening = await storageOf(b).database.onCommitsElsewhere(
      () => follower.wake(),
      (error) => process.stderr.write(`B's listener: ${String(error)}\n`),
    );
    const command = (): CommandContext => ({ actor: 'bench', correlationId: randomUUID() });
    const { profileId } = await a.commands.profiles.create({ slug: 'across', description: 'before' }, command());
    const latencies: number[] = [];
    for (let i = 0; i < ACROSS; i += 1) {
      const description = `change ${i}`;
      const seen = firstValueFrom(
        follower.events$.pipe(
          filter((event) => event.type === 'ProfileUpdated' && (event.data as { changes?: { description?: string } }).changes?.description === description),
          timeout(5_000),
        ),
      );
      const t0 = performance.now();
      await a.commands.profiles.update(profileId, { description }, command());
      await seen;
      latencies.push(performance.now() - t0);
    }
    latencies.sort((x, y) => x - y);
    const p95 = quantile(latencies, 0.95);
    return [[
      `(e) a change on A seen on B (B's log follower), ${ACROSS} changes one after another, from the start of A's command`,
      `p50 ${ms(quantile(latencies, 0.5))}, p95 ${ms(p95)}, max ${ms(latencies[latencies.length - 1])}`,
      'p95 ≤ 200 ms (issue 17)',
      ok(p95 <= 200),
    ]];
  } finally {
    await stopListening?.();
    await follower.stop();
    await b.close();
    await a.close();
  }
};

const main = async (): Promise<void> => {
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  try {
    const cpu = cpus();
    process.stdout.write(`Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${platform()} ${release()}, Node ${process.version}\n`);
    process.stdout.write(`Data directory: ${root}; backend: ${BACKEND}${BACKEND === 'postgres' ? ` (${POSTGRES_SERVER})` : ''}\n\n`);
    const rows = [
      ['measure', 'result', 'target', 'met'],
      ['---', '---', '---', '---'],
    ];
    if (SCENARIOS.has('a')) rows.push(...(await commandRows(root)));
    if (SCENARIOS.has('b') || SCENARIOS.has('c')) rows.push(...(await logRows(root)));
    if (SCENARIOS.has('b') && IDENTITY_EVENTS > 0) rows.push(...(await identityRows(root)));
    if (SCENARIOS.has('d') && BACKEND === 'sqlite') rows.push(...burstRows(await benchBurst(join(root, 'burst'), SECRET_KEY, ADMIN_TOKEN), ok));
    if (SCENARIOS.has('e') && BACKEND === 'postgres') rows.push(...(await acrossRows(root)));
    process.stdout.write(`${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}\n`);
  } finally {
    if (process.env.BENCH_KEEP === '1') {
      process.stdout.write(`\nKept ${root}${[...databases.values()].map((url) => ` and ${url}`).join('')}\n`);
    } else {
      rmSync(root, { recursive: true, force: true });
      for (const url of databases.values()) await onServer(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
    }
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
