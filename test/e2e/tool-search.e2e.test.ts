import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { clientPool, EVERYTHING_SERVER } from '../support/mcp-client';
import { createProfile, NotificationLog, registerStdioServer, resultText } from '../support/proxy';

/** Real servers from npm, started as `node <path>`; the GitHub one lists its tools without a real token. */
const REAL = {
  github: require.resolve('@modelcontextprotocol/server-github/dist/index.js'),
  filesystem: require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js'),
  memory: require.resolve('@modelcontextprotocol/server-memory/dist/index.js'),
  thinking: require.resolve('@modelcontextprotocol/server-sequential-thinking/dist/index.js'),
};

type Found = { name: string; description?: string; inputSchema: { type: string } };

describe('tool search: a profile with toolExposure "search" over real servers', () => {
  let gh: TestGatehouse;
  let dir: string;
  let client: Client;
  const { open, closeAll } = clientPool(() => gh.url);
  const search = async (args: unknown) => client.callTool({ name: 'search_tools', arguments: args as Record<string, unknown> });
  const found = async (query: string, limit?: number): Promise<string[]> => {
    const result = await search(limit === undefined ? { query } : { query, limit });
    expect(result.isError).toBeFalsy();
    const tools = (result.structuredContent as { tools: Found[] }).tools;
    expect(JSON.parse(resultText(result))).toEqual({ tools });
    return tools.map((tool) => tool.name);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-search-'));
    writeFileSync(join(dir, 'notes.txt'), 'remember the milk\n');
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'github', REAL.github, [], { env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_000000000000000000000000000000000000' } });
    await registerStdioServer(gh, 'filesystem', REAL.filesystem, [dir]);
    await registerStdioServer(gh, 'memory', REAL.memory, [], { env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } });
    await registerStdioServer(gh, 'thinking', REAL.thinking);
    await registerStdioServer(gh, 'everything', EVERYTHING_SERVER);
    await createProfile(gh, 'big', ['github', 'filesystem', 'memory', 'thinking', 'everything'], { auth: { apiKey: false }, toolExposure: 'search' });
    client = await open('big');
  }, 60_000);

  afterAll(async () => {
    await closeAll();
    await gh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists only search_tools and call_tool, and the profile says its exposure', async () => {
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['search_tools', 'call_tool']);
    expect((await gh.api('GET', '/api/profiles/big')).body).toMatchObject({ toolExposure: 'search' });
  });

  it('finds the tool a plain-language request needs, with its schema', async () => {
    expect((await found('open a pull request on a repository')).slice(0, 3)).toContain('github__create_pull_request');
    expect(await found('read the contents of a text file')).toEqual(expect.arrayContaining(['filesystem__read_text_file']));
    expect(await found('add entities to the knowledge graph')).toContain('memory__create_entities');
    expect((await found('think step by step about a problem'))[0]).toBe('thinking__sequentialthinking');
    const result = await search({ query: 'search issues', limit: 2 });
    const tools = (result.structuredContent as { tools: Found[] }).tools;
    expect(tools).toHaveLength(2);
    expect(tools[0]).toEqual(expect.objectContaining({ name: expect.stringMatching(/^github__/), description: expect.any(String), inputSchema: expect.objectContaining({ type: 'object' }) }));
  });

  it('runs a found tool through call_tool, and by its name directly', async () => {
    const created = await client.callTool({
      name: 'call_tool',
      arguments: { name: 'memory__create_entities', arguments: { entities: [{ name: 'Gatehouse', entityType: 'project', observations: ['fronts MCP servers'] }] } },
    });
    expect(created.isError).toBeFalsy();
    const graph = await client.callTool({ name: 'call_tool', arguments: { name: 'memory__read_graph' } });
    expect(resultText(graph)).toContain('fronts MCP servers');
    const direct = await client.callTool({ name: 'filesystem__read_text_file', arguments: { path: join(dir, 'notes.txt') } });
    expect(resultText(direct)).toContain('remember the milk');
  });

  it('forwards progress and cancellation through call_tool as for a direct call', async () => {
    const updates: number[] = [];
    const result = await client.callTool(
      { name: 'call_tool', arguments: { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.5, steps: 5 } } },
      undefined,
      { onprogress: (progress) => updates.push(progress.progress) },
    );
    expect(resultText(result)).toContain('Long running operation completed');
    expect(updates).toEqual([1, 2, 3, 4, 5]);

    const controller = new AbortController();
    const started = Date.now();
    const call = client.callTool(
      { name: 'call_tool', arguments: { name: 'everything__trigger-long-running-operation', arguments: { duration: 30, steps: 30 } } },
      undefined,
      { signal: controller.signal, onprogress: () => controller.abort('changed my mind') },
    );
    await expect(call).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers bad arguments with tool errors the model can correct, and changes nothing', async () => {
    const problems: [string, unknown, RegExp][] = [
      ['search_tools', {}, /query must be a non-empty string/],
      ['search_tools', { query: '' }, /query must be a non-empty string/],
      ['search_tools', { query: 42 }, /query must be a non-empty string/],
      ['search_tools', { query: 'x'.repeat(1025) }, /at most 1024 characters/],
      ['search_tools', { query: 'file', limit: 0 }, /limit must be an integer from 1 to 20/],
      ['search_tools', { query: 'file', limit: 21 }, /limit must be an integer from 1 to 20/],
      ['search_tools', { query: 'file', limit: 1.5 }, /limit must be an integer/],
      ['search_tools', { query: 'file', top: 3 }, /no argument "top"/],
      ['call_tool', {}, /name must be a non-empty string/],
      ['call_tool', { name: 'nope__nothing' }, /no tool "nope__nothing": search_tools gives the names/],
      ['call_tool', { name: 'memory__read_graph', arguments: [1] }, /arguments must be an object/],
      ['call_tool', { name: 'memory__read_graph', arguments: 'x' }, /arguments must be an object/],
      ['call_tool', { name: 'call_tool', arguments: {} }, /call call_tool directly/],
    ];
    for (const [name, args, message] of problems) {
      const result = await client.callTool({ name, arguments: args as Record<string, unknown> });
      expect({ name, args, isError: result.isError, text: resultText(result) }).toEqual({ name, args, isError: true, text: expect.stringMatching(message) });
    }
    expect(await found('read the contents of a text file')).toContain('filesystem__read_text_file');
  });

  it('neither finds nor calls a tool the profile made inactive', async () => {
    const server = (await gh.api('GET', '/api/servers/memory')).body;
    expect((await gh.api('PATCH', `/api/profiles/big/tools/${server.id}/delete_entities`, { status: 'inactive' })).status).toBe(200);
    expect(await found('delete entities from the knowledge graph', 20)).not.toContain('memory__delete_entities');
    const refused = await client.callTool({ name: 'call_tool', arguments: { name: 'memory__delete_entities', arguments: { entityNames: ['Gatehouse'] } } });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toMatch(/no tool "memory__delete_entities"/);
  });

  it('switches to every tool listed when the exposure goes back to all, telling the session', async () => {
    const other = await open('big');
    const changes = new NotificationLog(other, ToolListChangedNotificationSchema);
    expect((await other.listTools()).tools).toHaveLength(2);
    expect((await gh.api('PATCH', '/api/profiles/big', { toolExposure: 'all' })).status).toBe(200);
    await changes.next(5_000);
    const names = (await other.listTools()).tools.map((tool) => tool.name);
    expect(names.length).toBeGreaterThan(40);
    expect(names).toEqual(expect.arrayContaining(['github__create_pull_request', 'memory__read_graph', 'everything__echo']));
    expect(names).not.toContain('search_tools');
    expect((await gh.api('PATCH', '/api/profiles/big', { toolExposure: 'search' })).status).toBe(200);
  });

  it('refuses an unknown exposure mode with a problem, and keeps the profile as it was', async () => {
    const refused = await gh.api('PATCH', '/api/profiles/big', { toolExposure: 'smart' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await gh.api('GET', '/api/profiles/big')).body.toolExposure).toBe('search');
  });

  it('counts what the definitions cost a context, per tool and per mode, with a real tokenizer', async () => {
    const response = await gh.api('GET', '/api/profiles/big/context');
    expect(response.status).toBe(200);
    const budget = response.body as { tokenizer: string; exposure: string; tools: { name: string; server: string; tokens: number }[]; modes: { all: number; search: number } };
    expect(budget).toMatchObject({ profile: 'big', tokenizer: 'gpt-tokenizer o200k_base', exposure: 'search' });
    expect(budget.tools.length).toBeGreaterThan(40);
    expect(budget.tools.map((tool) => tool.name)).not.toContain('memory__delete_entities');
    const tokens = budget.tools.map((tool) => tool.tokens);
    expect(tokens).toEqual([...tokens].sort((a, b) => b - a));
    expect(Math.min(...tokens)).toBeGreaterThan(10);
    // The count follows what tools/list really carries: the live list in `all` mode, counted alike.
    const { countTokens } = await import('gpt-tokenizer');
    expect((await gh.api('PATCH', '/api/profiles/big', { toolExposure: 'all' })).status).toBe(200);
    const live = await open('big');
    const listed = countTokens(JSON.stringify({ tools: (await live.listTools()).tools }));
    expect((await gh.api('PATCH', '/api/profiles/big', { toolExposure: 'search' })).status).toBe(200);
    expect(Math.abs(budget.modes.all - listed) / listed).toBeLessThan(0.2);
    expect(budget.modes.search).toBe(countTokens(JSON.stringify({ tools: (await client.listTools()).tools })));
    expect(budget.modes.search / budget.modes.all).toBeLessThan(0.05);
    expect((await gh.api('GET', '/api/profiles/nope/context')).status).toBe(404);
  });

  it('adaptive: the tools a session found join that session\'s tools/list, the most recent up to the profile\'s cap', async () => {
    expect((await gh.api('POST', '/api/profiles', { slug: 'adapt', toolExposure: 'adaptive', adaptiveToolLimit: 3, auth: { apiKey: false } })).status).toBe(201);
    for (const server of ['memory', 'filesystem']) expect((await gh.api('PUT', `/api/profiles/adapt/servers/${server}`, { status: 'active' })).status).toBe(201);
    const session = await open('adapt');
    const bystander = await open('adapt');
    const changes = new NotificationLog(session, ToolListChangedNotificationSchema);
    const listed = async (of: Client) => (await of.listTools()).tools.map((tool) => tool.name);
    const searchIn = async (query: string, limit: number) =>
      ((await session.callTool({ name: 'search_tools', arguments: { query, limit } })).structuredContent as { tools: Found[] }).tools.map((tool) => tool.name);
    expect(await listed(session)).toEqual(['search_tools', 'call_tool']);

    const first = await searchIn('add entities to the knowledge graph', 2);
    expect(first).toHaveLength(2);
    await changes.next(5_000);
    const tools = (await session.listTools()).tools;
    expect(tools.map((tool) => tool.name)).toEqual(['search_tools', 'call_tool', ...[...first].reverse()]);
    expect(tools[2]).toEqual(expect.objectContaining({ description: expect.any(String), inputSchema: expect.objectContaining({ type: 'object' }) }));
    const found = first.find((name) => name === 'memory__create_entities') ?? first[0];
    expect((await session.callTool({ name: found, arguments: found === 'memory__create_entities' ? { entities: [] } : {} })).isError).toBeFalsy();

    const mark = changes.mark();
    const second = await searchIn('read the contents of a text file', 2);
    await changes.next(5_000, () => true, mark);
    const now = await listed(session);
    expect(now).toHaveLength(2 + 3);
    expect(now.slice(2)).toEqual([first[0], ...[...second].reverse()].filter((name, i, all) => all.indexOf(name) === i).slice(-3));
    // A search that finds only what the session lists already changes nothing and says nothing.
    const quiet = changes.mark();
    await searchIn('read the contents of a text file', 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(changes.received.length).toBe(quiet);
    expect(await listed(bystander)).toEqual(['search_tools', 'call_tool']);

    // A lowered limit applies at the next list, without a search; another mode forgets the finds.
    expect((await gh.api('PATCH', '/api/profiles/adapt', { adaptiveToolLimit: 1 })).status).toBe(200);
    expect(await listed(session)).toEqual(['search_tools', 'call_tool', now[now.length - 1]]);
    expect((await gh.api('PATCH', '/api/profiles/adapt', { toolExposure: 'search' })).status).toBe(200);
    expect(await listed(session)).toEqual(['search_tools', 'call_tool']);
    expect((await gh.api('PATCH', '/api/profiles/adapt', { toolExposure: 'adaptive', adaptiveToolLimit: 3 })).status).toBe(200);
    expect(await listed(session)).toEqual(['search_tools', 'call_tool']);

    const budget = (await gh.api('GET', '/api/profiles/adapt/context')).body as { modes: { all: number; search: number; adaptive: number } };
    expect(budget.modes.search).toBeLessThan(budget.modes.adaptive);
    expect(budget.modes.adaptive).toBeLessThan(budget.modes.all);
    for (const limit of [0, 201, 1.5, '3']) {
      expect((await gh.api('PATCH', '/api/profiles/adapt', { adaptiveToolLimit: limit })).status).toBe(400);
    }
    expect((await gh.api('GET', '/api/profiles/adapt')).body).toMatchObject({ toolExposure: 'adaptive', adaptiveToolLimit: 3 });
  });

  it('exports the exposure with the profile', async () => {
    const exported = (await gh.api('GET', '/api/export')).body;
    expect(exported.gatehouse.profiles.big.toolExposure).toBe('search');
  });
});
