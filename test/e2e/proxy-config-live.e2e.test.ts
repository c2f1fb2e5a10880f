import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { allEvents } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { attach, createProfile, isPidRunning, NotificationLog, PROBE_SERVER, registerStdioServer, resultText, runtimeOf, waitFor } from '../support/proxy';

/** The bound for a configuration change to reach an open session. */
const LIST_CHANGED_WITHIN_MS = 1_000;

describe('MCP proxy: configuration changes are live', () => {
  let gh: TestGatehouse;
  const clients: Client[] = [];
  const ids: Record<string, string> = {};

  const open = async (slug: string) => {
    const client = await connectClient(gh.url, slug);
    clients.push(client);
    return { client, changes: new NotificationLog(client, ToolListChangedNotificationSchema) };
  };
  const names = async (client: Client): Promise<string[]> => (await client.listTools()).tools.map((tool) => tool.name);
  /** Runs a REST change and resolves once the session got tools/list_changed for it. */
  const expectListChanged = async (changes: NotificationLog<typeof ToolListChangedNotificationSchema>, change: () => Promise<{ status: number }>) => {
    const mark = changes.mark();
    const response = await change();
    expect(response.status).toBeLessThan(300);
    await changes.next(LIST_CHANGED_WITHIN_MS, undefined, mark);
  };
  const pidsOf = async (server: string): Promise<number[]> => (await runtimeOf(gh, server)).pids;

  beforeAll(async () => {
    gh = await startTestGatehouse();
    for (const name of ['base', 'extra', 'solo', 'shared', 'disco']) ids[name] = await registerStdioServer(gh, name, PROBE_SERVER, ['--label', name]);
    const open = { auth: { apiKey: false } };
    await createProfile(gh, 'live', ['base', 'solo', 'shared'], open);
    await createProfile(gh, 'neighbour', ['shared'], open);
    await createProfile(gh, 'disco', ['disco'], open);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
  });

  it('a tool made inactive, then active again: list_changed each time, and the list follows', async () => {
    const { client, changes } = await open('live');
    expect(await names(client)).toContain('base__touch');
    await expectListChanged(changes, () => gh.api('PATCH', '/api/profiles/live/tools/base/touch', { status: 'inactive' }));
    expect(await names(client)).not.toContain('base__touch');
    await expectListChanged(changes, () => gh.api('PATCH', '/api/profiles/live/tools/base/touch', { status: 'active' }));
    expect(await names(client)).toContain('base__touch');
  });

  it('an override (and clearing it): list_changed, and the new name is listed', async () => {
    const { client, changes } = await open('live');
    await client.listTools();
    await expectListChanged(changes, () => gh.api('PATCH', '/api/profiles/live/tools/base/log', { name: 'write_log', description: 'Renamed' }));
    const tools = (await client.listTools()).tools;
    expect(tools.find((tool) => tool.name === 'write_log')?.description).toBe('Renamed');
    await expectListChanged(changes, () => gh.api('PATCH', '/api/profiles/live/tools/base/log', { name: null, description: null }));
    expect(await names(client)).toContain('base__log');
  });

  it('renaming a server or changing the profile’s toolPrefix renames the tools, and old names stop answering', async () => {
    const { client, changes } = await open('live');
    expect(await names(client)).toContain('base__whoami');
    await expectListChanged(changes, () => gh.api('PATCH', '/api/servers/base', { name: 'renamed' }));
    // Called without listing again: the session must not route by the names it listed earlier.
    await expect(client.callTool({ name: 'base__whoami', arguments: {} })).rejects.toThrow(/base__whoami/);
    expect(await names(client)).toContain('renamed__whoami');
    await expectListChanged(changes, () => gh.api('PATCH', '/api/profiles/live', { toolPrefix: 'on_conflict' }));
    expect(await names(client)).toEqual(expect.arrayContaining(['renamed__whoami', 'shared__whoami']));
    await expectListChanged(changes, () => gh.api('PATCH', '/api/servers/renamed', { name: 'base' }));
    await expectListChanged(changes, () => gh.api('PATCH', '/api/profiles/live', { toolPrefix: 'always' }));
    expect(await names(client)).toContain('base__whoami');
  });

  it('attaching and detaching a server: list_changed, and its process ends once nothing uses it', async () => {
    const { client, changes } = await open('live');
    await client.listTools();
    await expectListChanged(changes, () => gh.api('PUT', '/api/profiles/live/servers/extra', { status: 'active' }));
    expect(await names(client)).toContain('extra__whoami');
    const [pid] = await pidsOf('extra');
    expect(pid).toEqual(expect.any(Number));
    expect(isPidRunning(pid)).toBe(true);

    await expectListChanged(changes, () => gh.api('DELETE', '/api/profiles/live/servers/extra'));
    expect(await names(client)).not.toContain('extra__whoami');
    await waitFor(() => !isPidRunning(pid), 5_000, `detached server's process ${pid} ends`);
    expect(await pidsOf('extra')).toEqual([]);
  });

  it('a server detached from one profile keeps running while another profile uses it', async () => {
    const { client: neighbour } = await open('neighbour');
    expect(await names(neighbour)).toContain('shared__whoami');
    const { client, changes } = await open('live');
    await client.listTools();
    const [pid] = await pidsOf('shared');
    await expectListChanged(changes, () => gh.api('DELETE', '/api/profiles/live/servers/shared'));
    expect(await names(client)).not.toContain('shared__whoami');
    expect(isPidRunning(pid)).toBe(true);
    const whoami = JSON.parse(resultText(await neighbour.callTool({ name: 'shared__whoami', arguments: {} }))) as { pid: number };
    expect(whoami.pid).toBe(pid);
    await attach(gh, 'live', 'shared');
  });

  it('a removed server: list_changed, and its process ends', async () => {
    const { client, changes } = await open('live');
    expect(await names(client)).toContain('solo__whoami');
    const [pid] = await pidsOf('solo');
    expect(isPidRunning(pid)).toBe(true);
    await expectListChanged(changes, () => gh.api('DELETE', `/api/servers/${ids.solo}`));
    expect(await names(client)).not.toContain('solo__whoami');
    await waitFor(() => !isPidRunning(pid), 5_000, `removed server's process ${pid} ends`);
  });

  it('a reconfigured server is restarted with the new configuration', async () => {
    const { client, changes } = await open('live');
    const before = JSON.parse(resultText(await client.callTool({ name: 'base__whoami', arguments: {} }))) as { pid: number; label: string };
    await expectListChanged(changes, () => gh.api('PATCH', '/api/servers/base', { args: [PROBE_SERVER, '--label', 'base-v2'] }));
    const after = JSON.parse(resultText(await client.callTool({ name: 'base__whoami', arguments: {} }))) as { pid: number; label: string };
    expect(after.label).toBe('base-v2');
    expect(after.pid).not.toBe(before.pid);
    await waitFor(() => !isPidRunning(before.pid), 5_000, `old process ${before.pid} ends`);
  });

  it('records ServerToolsDiscovered once, not again on later lists, and serves the tools', async () => {
    const discovered = async () => (await allEvents(gh, '&type=ServerToolsDiscovered')).filter((event) => event.data.serverId === ids.disco);
    expect(await discovered()).toEqual([]);
    const { client } = await open('disco');
    expect(await names(client)).toContain('disco__whoami');
    await waitFor(async () => (await discovered()).length === 1, 3_000, 'ServerToolsDiscovered recorded');
    const tools = await gh.api('GET', `/api/servers/${ids.disco}/tools`);
    expect(tools.status).toBe(200);
    expect(tools.body.tools.map((tool: { name: string }) => tool.name)).toEqual(expect.arrayContaining(['whoami', 'wait', 'stats']));

    await names(client);
    const { client: second } = await open('disco');
    await names(second);
    // A change upstream is a new discovery; the same list again is not.
    const mark = (await discovered()).length;
    await second.callTool({ name: 'disco__add_tool', arguments: { name: 'late_tool' } });
    await waitFor(async () => (await names(second)).includes('disco__late_tool'), 2_000, 'new tool listed');
    await waitFor(async () => (await discovered()).length === mark + 1, 3_000, 'second ServerToolsDiscovered');
    await names(client);
    expect(await discovered()).toHaveLength(2);
    const served = await gh.api('GET', `/api/servers/${ids.disco}/tools`);
    expect(served.body.tools.map((tool: { name: string }) => tool.name)).toContain('late_tool');
  });
});
