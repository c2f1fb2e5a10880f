/**
 * stdio upstreams of either revision behind one profile: the gateway asks each stdio server
 * `server/discover` on the process it spawned, speaks 2026-07-28 statelessly to the one that
 * offers it (SDK v2, serveStdio) and initialises the other (server-everything, SDK v1) as before.
 * An SDK v1 client and an SDK v2 client (pinned to 2026-07-28) use the profile at the same time.
 */
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioTransportV2 } from '@modelcontextprotocol/client/stdio';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING_ENTRY, fixtureServer } from '../fixtures/upstream-fixtures';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { childPids, commandLine, createProfile, isPidRunning, issueKey, registerStdioServer, resultText, runtimeOf } from '../support/proxy';

const VERSION = '2026-07-28';
const FAST_V2 = fixtureServer('fast-server-v2.js');

jest.setTimeout(90_000);

type ListedTool = { name: string; description?: string; inputSchema: unknown };
const byName = (tools: ListedTool[]): ListedTool[] => [...tools].sort((a, b) => a.name.localeCompare(b.name));
const shape = ({ name, description, inputSchema }: ListedTool) => ({ name, description, inputSchema });

describe('stdio upstreams of both revisions behind one profile', () => {
  let gh: TestGatehouse | undefined;
  let key: string;
  const v1Clients: Client[] = [];
  const v2Clients: ClientV2[] = [];
  const upstreamPids = new Set<number>();

  /** The gateway's children running one of this test's upstreams. */
  const upstreamChildren = (): number[] =>
    childPids().filter((pid) => [FAST_V2, EVERYTHING_ENTRY].some((script) => commandLine(pid).includes(script)));

  const v2Client = async (capabilities: Record<string, unknown>, name: string): Promise<ClientV2> => {
    const client = new ClientV2({ name, version: '2.0.0' }, { capabilities, versionNegotiation: { mode: { pin: VERSION } } });
    await client.connect(new TransportV2(new URL(`${gh!.url}/mcp/pipes`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    v2Clients.push(client);
    return client;
  };

  const v1Client = async (capabilities: Record<string, unknown>): Promise<Client> => {
    const client = await connectClient(gh!.url, 'pipes', { key, capabilities: { capabilities } });
    v1Clients.push(client);
    return client;
  };

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'modern', FAST_V2, ['--stdio']);
    await registerStdioServer(gh, 'everything', EVERYTHING_ENTRY, ['stdio']);
    await createProfile(gh, 'pipes', ['modern', 'everything']);
    key = await issueKey(gh, ['pipes']);
  });

  afterAll(async () => {
    await Promise.allSettled([...v1Clients.map((c) => c.close()), ...v2Clients.map((c) => c.close())]);
    await gh?.stop();
  });

  it('records 2026-07-28 for the SDK v2 server and 2025-11-25 for server-everything, one process each', async () => {
    await (await v1Client({})).listTools();
    const [modern, everything] = await Promise.all([runtimeOf(gh!, 'modern'), runtimeOf(gh!, 'everything')]);
    expect({ modern: modern.protocolVersion, everything: everything.protocolVersion }).toEqual({ modern: VERSION, everything: LATEST_PROTOCOL_VERSION });
    expect(modern.pids).toHaveLength(1);
    expect(everything.pids).toHaveLength(1);
    [...modern.pids, ...everything.pids].forEach((pid) => upstreamPids.add(pid));
    expect(upstreamChildren().sort()).toEqual([...upstreamPids].sort());
  });

  it('a 2025 and a 2026 client list the same tools, and the 2026 server\'s are what it lists to a client of its own', async () => {
    const [v1, v2] = await Promise.all([v1Client({}), v2Client({}, 'v2-lists')]);
    const [old, modern] = await Promise.all([v1.listTools(), v2.listTools()]);
    expect(byName(modern.tools).map(shape)).toEqual(byName(old.tools).map(shape));
    expect(old.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['modern__echo', 'modern__client_envelope', 'everything__echo']));

    const direct = new ClientV2({ name: 'direct', version: '1.0.0' }, { versionNegotiation: { mode: { pin: VERSION } } });
    await direct.connect(new StdioTransportV2({ command: process.execPath, args: [FAST_V2, '--stdio'] }));
    try {
      const own = (await direct.listTools()).tools as ListedTool[];
      const throughGateway = byName(old.tools as ListedTool[])
        .filter((tool) => tool.name.startsWith('modern__'))
        .map((tool) => shape({ ...tool, name: tool.name.slice('modern__'.length) }));
      expect(throughGateway).toEqual(byName(own).map(shape));
    } finally {
      await direct.close();
    }
  });

  it('both clients call a tool on each upstream at the same time', async () => {
    const [v1, v2] = await Promise.all([v1Client({}), v2Client({}, 'v2-calls')]);
    const calls = await Promise.all(
      [v1, v2].flatMap((client, i) => [
        client.callTool({ name: 'modern__echo', arguments: { message: `modern-${i}` } }).then((result) => [`modern-${i}`, resultText(result)]),
        client.callTool({ name: 'everything__echo', arguments: { message: `everything-${i}` } }).then((result) => [`Echo: everything-${i}`, resultText(result)]),
      ]),
    );
    for (const [expected, text] of calls) expect(text).toBe(expected);
  });

  it('the 2026 server sees, in each request over the pipe, the capabilities and identity of the client it is for', async () => {
    const [eliciting, plain] = await Promise.all([v2Client({ elicitation: { form: {} } }, 'v2-elicits'), v1Client({ roots: { listChanged: true } })]);
    const [fromV2, fromV1] = await Promise.all(
      [eliciting, plain].map(async (client) => JSON.parse(resultText(await client.callTool({ name: 'modern__client_envelope', arguments: {} }))) as unknown),
    );
    expect(fromV2).toEqual({ era: 'modern', capabilities: { elicitation: { form: {} } }, clientInfo: { name: 'v2-elicits', version: '2.0.0' } });
    expect(fromV1).toEqual({ era: 'modern', capabilities: { roots: { listChanged: true } }, clientInfo: { name: 'gatehouse-test', version: '1.0.0' } });
    // Still the one process per server.
    expect(upstreamChildren().sort()).toEqual([...upstreamPids].sort());
  });

  it('leaves no upstream process behind when the gateway stops', async () => {
    await Promise.allSettled([...v1Clients.map((c) => c.close()), ...v2Clients.map((c) => c.close())]);
    await gh!.stop();
    gh = undefined;
    expect(upstreamChildren()).toEqual([]);
    for (const pid of upstreamPids) expect(isPidRunning(pid)).toBe(false);
  });
});
