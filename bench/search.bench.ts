/**
 * Tool search benchmark: `npm run bench:search`.
 *
 * 1. Quality over real tools: the gateway (its own process) fronts 9 servers from npm (GitHub,
 *    GitLab, Slack, Google Maps, Notion, filesystem, memory, sequential thinking, everything:
 *    111 tools, dummy credentials, nothing leaves the machine) behind one profile in `search`
 *    exposure. Each query of bench/search/queries.ts (a request in a user's words and the tool
 *    that answers it) goes through `search_tools` over MCP; recall@1 and recall@5.
 * 2. Context cost: `GET /api/profiles/:slug/context` for that profile, `tools/list` in `all`
 *    vs `search` mode (target: search ≤ 5 % of all for a 100-tool profile).
 * 3. Latency over 1,000 and 10,000 synthetic tools (test/fixtures/servers/many-tools-server.js,
 *    a profile each): `search_tools` round trips through the gateway (HTTP, MCP, ranking), and
 *    the ranking alone in this process (`ToolSearchIndex` over the same tools), p50/p95.
 *    Targets: p95 ≤ 5 ms at 1,000 tools, ≤ 20 ms at 10,000.
 *
 * Knobs: BENCH_SEARCH_CALLS (300 searches per size), BENCH_TIMEOUT_MS (300000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { McpTool } from '../src/infrastructure/upstream';
import { ToolSearchIndex } from '../src/infrastructure/proxy/tool-search';
import { connectClient, disconnectClient, quantile, type BenchClient } from './proxy/load';
import { closeGateway, FIXTURES, ROOT, startGateway, stopAll } from './proxy/processes';
import { api, BENCH_ADMIN_TOKEN, mark, ms, table } from './report';
import { QUERIES } from './search/queries';

const SECRET_KEY = 'd'.repeat(64);
const CALLS = Math.max(10, Number(process.env.BENCH_SEARCH_CALLS ?? 300));
const TIMEOUT_MS = Math.max(10_000, Number(process.env.BENCH_TIMEOUT_MS ?? 300_000));
const TARGETS = { recallAt5: 0.9, searchShare: 0.05, p95At1k: 5, p95At10k: 20 };

const modulePath = (relative: string): string => join(ROOT, 'node_modules', relative);

/** The real servers, as `node <path>` with the dummy credentials they need to list their tools. */
const REAL_SERVERS: { name: string; script: string; args?: string[]; env?: Record<string, string> }[] = [
  { name: 'github', script: modulePath('@modelcontextprotocol/server-github/dist/index.js'), env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_bench0000000000000000000000000000000' } },
  { name: 'gitlab', script: modulePath('@modelcontextprotocol/server-gitlab/dist/index.js'), env: { GITLAB_PERSONAL_ACCESS_TOKEN: 'glpat-bench000000000000', GITLAB_API_URL: 'http://127.0.0.1:9/api/v4' } },
  { name: 'slack', script: modulePath('@modelcontextprotocol/server-slack/dist/index.js'), env: { SLACK_BOT_TOKEN: 'xoxb-bench-000000000000', SLACK_TEAM_ID: 'T00000000' } },
  { name: 'maps', script: modulePath('@modelcontextprotocol/server-google-maps/dist/index.js'), env: { GOOGLE_MAPS_API_KEY: 'AIzaBench000000000000000000000000000000' } },
  { name: 'notion', script: modulePath('@notionhq/notion-mcp-server/bin/cli.mjs'), env: { NOTION_TOKEN: 'ntn_bench000000000000000000000000' } },
  { name: 'filesystem', script: modulePath('@modelcontextprotocol/server-filesystem/dist/index.js'), args: ['$DIR'] },
  { name: 'memory', script: modulePath('@modelcontextprotocol/server-memory/dist/index.js'), env: { MEMORY_FILE_PATH: '$DIR/memory.jsonl' } },
  { name: 'thinking', script: modulePath('@modelcontextprotocol/server-sequential-thinking/dist/index.js') },
  { name: 'everything', script: modulePath('@modelcontextprotocol/server-everything/dist/index.js') },
];



type Found = { tools: { name: string }[] };

const searchNames = async (client: BenchClient, query: string, limit = 5): Promise<string[]> => {
  const result = await client.callTool('search_tools', { query, limit });
  if (result.isError) throw new Error(`search_tools failed: ${JSON.stringify(result.content)}`);
  return (result.structuredContent as Found).tools.map((tool) => tool.name);
};

const timed = async (runs: number, run: (i: number) => Promise<unknown> | unknown): Promise<number[]> => {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run(i);
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
};

/** Queries for the synthetic tools, in words, not names: "archive a shipment in inventory". */
const syntheticQuery = (i: number): string => {
  const areas = ['billing', 'crm', 'inventory', 'support', 'hr', 'analytics', 'shipping', 'calendar'];
  const verbs = ['archive', 'list', 'approve', 'export', 'close', 'summarize'];
  const things = ['invoices', 'a customer', 'orders', 'the ticket', 'a report', 'shipments', 'an incident'];
  return `${verbs[i % verbs.length]} ${things[i % things.length]} in ${areas[i % areas.length]}`;
};

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-search-'));
  const gateway = await startGateway({
    GATEHOUSE_DATA_DIR: join(dir, 'data'),
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: '0',
    GATEHOUSE_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    GATEHOUSE_SECRET_KEY: SECRET_KEY,
    GATEHOUSE_LOG_LEVEL: 'warn',
  });
  const base = gateway.url;
  const clients: BenchClient[] = [];
  try {
    const real = REAL_SERVERS.map((server) => server.name);
    for (const server of REAL_SERVERS) {
      const fill = (value: string): string => value.replace('$DIR', dir);
      await api(base, 'POST', '/api/servers', {
        name: server.name, transport: 'stdio', command: process.execPath, args: [server.script, ...(server.args ?? []).map(fill)],
        ...(server.env ? { env: Object.fromEntries(Object.entries(server.env).map(([key, value]) => [key, fill(value)])) } : {}),
      });
    }
    await api(base, 'POST', '/api/profiles', { slug: 'real', toolExposure: 'search', auth: { apiKey: false } });
    for (const name of real) await api(base, 'PUT', `/api/profiles/real/servers/${name}`, { status: 'active' });

    // 1. recall over the real tools
    const client = await connectClient(`${base}/mcp/real`);
    clients.push(client);
    await searchNames(client, 'warm up');
    const budget = (await api(base, 'GET', '/api/profiles/real/context', undefined, 30_000)) as { tools: { name: string; server: string }[]; modes: { all: number; search: number }; tokenizer: string };
    const exposed = new Set(budget.tools.map((tool) => tool.name));
    const missing = QUERIES.filter((query) => !exposed.has(query.tool));
    if (missing.length > 0) throw new Error(`queries name tools the profile does not have: ${missing.map((query) => query.tool).join(', ')}`);
    let at1 = 0;
    let at5 = 0;
    const misses: string[] = [];
    for (const query of QUERIES) {
      const names = await searchNames(client, query.query);
      if (names[0] === query.tool) at1++;
      if (names.includes(query.tool)) at5++;
      else misses.push(`"${query.query}" → wanted ${query.tool}, got ${names.slice(0, 3).join(', ')}`);
    }
    const servers = new Set(budget.tools.map((tool) => tool.server));
    const recall5 = at5 / QUERIES.length;

    // 3. latency at 1,000 and 10,000 tools
    const sizes = [1_000, 10_000];
    const latency: string[][] = [];
    for (const size of sizes) {
      const slug = `synthetic-${size}`;
      await api(base, 'POST', '/api/servers', { name: slug, transport: 'stdio', command: process.execPath, args: [join(FIXTURES, 'many-tools-server.js'), '--count', String(size)] });
      await api(base, 'POST', '/api/profiles', { slug, toolExposure: 'search', auth: { apiKey: false } });
      await api(base, 'PUT', `/api/profiles/${slug}/servers/${slug}`, { status: 'active' });
      const synthetic = await connectClient(`${base}/mcp/${slug}`);
      clients.push(synthetic);
      const listed = await timed(1, () => searchNames(synthetic, 'first search builds the index'));
      for (let i = 0; i < 20; i++) await searchNames(synthetic, syntheticQuery(i));
      const trips = await timed(CALLS, (i) => searchNames(synthetic, syntheticQuery(i)));
      // The ranking alone, over the tools as the profile exposes them.
      const tools = (await synthetic.listTools()).tools;
      if (tools.length !== 2) throw new Error('the synthetic profile should list search_tools and call_tool only');
      const built = performance.now();
      const index = new ToolSearchIndex(syntheticTools(size, slug), () => slug);
      const buildMs = performance.now() - built;
      for (let i = 0; i < 50; i++) index.search(syntheticQuery(i), 5);
      const ranking = await timed(CALLS, (i) => index.search(syntheticQuery(i), 5));
      const target = size === 1_000 ? TARGETS.p95At1k : TARGETS.p95At10k;
      latency.push([
        size.toLocaleString('en-US'), ms(listed[0]), ms(quantile(trips, 0.5)), ms(quantile(trips, 0.95)),
        ms(quantile(ranking, 0.5)), ms(quantile(ranking, 0.95)), ms(buildMs), `p95 ≤ ${target} ms`, mark(quantile(trips, 0.95) <= target),
      ]);
    }

    const share = budget.modes.search / budget.modes.all;
    const lines = [
      `# bench:search — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      '',
      `Real tools: ${budget.tools.length} from ${servers.size} servers (${[...servers].join(', ')}); ${QUERIES.length} queries.`,
      '',
      table(['measure', 'result', 'target', 'met'], [
        ['recall@1', (at1 / QUERIES.length).toFixed(2), '—', '—'],
        ['recall@5', recall5.toFixed(2), `≥ ${TARGETS.recallAt5}`, mark(recall5 >= TARGETS.recallAt5)],
        [`tools/list tokens, all (${budget.tokenizer})`, budget.modes.all.toLocaleString('en-US'), '—', '—'],
        ['tools/list tokens, search', `${budget.modes.search.toLocaleString('en-US')} (${(share * 100).toFixed(1)} % of all)`, '≤ 5 %', mark(share <= TARGETS.searchShare)],
      ]),
      '',
      table(['tools', 'first search (lists, builds the index)', 'search_tools p50', 'search_tools p95', 'ranking p50', 'ranking p95', 'index build', 'target', 'met'], latency),
      '',
      misses.length === 0 ? 'Every query found its tool in the first five.' : `Missed at 5:\n${misses.map((miss) => `- ${miss}`).join('\n')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await Promise.allSettled(clients.map(disconnectClient));
    await closeGateway(gateway);
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
};

/** The synthetic tools as the fixture makes them, for the in-process ranking. */
const syntheticTools = (size: number, server: string): McpTool[] => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the fixture's own generator, to rank exactly its tools
  const { makeTools } = require(join(FIXTURES, 'lib', 'many-tools.js')) as { makeTools: (count: number) => McpTool[] };
  return makeTools(size).map((tool) => ({ ...tool, name: `${server}__${tool.name}` }));
};

const deadline = setTimeout(() => {
  process.stderr.write(`bench:search did not finish within ${TIMEOUT_MS} ms\n`);
  void stopAll().finally(() => process.exit(1));
}, TIMEOUT_MS);
deadline.unref();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
