/**
 * Upstreams of either revision behind one profile: the gateway asks each Streamable HTTP upstream
 * with `server/discover` whether it speaks 2026-07-28, calls those that do statelessly (the
 * downstream client's own capabilities in each request's `_meta`), and keeps its 2025 session
 * with the others. The SDK v1 client and the SDK v2 client (pinned to 2026-07-28) use the same
 * profile at the same time; the upstreams are real servers on the SDK v1 and v2 packages.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, LATEST_PROTOCOL_VERSION, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { fixtureServer, startHttpServer, type RunningHttpServer } from '../fixtures/upstream-fixtures';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { createProfile, issueKey, resultText, waitFor } from '../support/proxy';

const VERSION = '2026-07-28';

jest.setTimeout(90_000);

describe('upstreams of both revisions behind one profile', () => {
  let gh: TestGatehouse;
  let key: string;
  const upstreams: RunningHttpServer[] = [];
  const v1Clients: Client[] = [];
  const v2Clients: ClientV2[] = [];

  const register = async (name: string, upstream: RunningHttpServer): Promise<void> => {
    const response = await gh.api('POST', '/api/servers', { name, transport: 'streamable_http', url: `${upstream.baseUrl}/mcp` });
    expect(response.status).toBe(201);
  };

  const v2Client = async (capabilities: Record<string, unknown>, name: string): Promise<ClientV2> => {
    const client = new ClientV2({ name, version: '2.0.0' }, { capabilities, versionNegotiation: { mode: { pin: VERSION } } });
    await client.connect(new TransportV2(new URL(`${gh.url}/mcp/both`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    v2Clients.push(client);
    return client;
  };

  const v1Client = async (capabilities: Record<string, unknown>): Promise<Client> => {
    const client = await connectClient(gh.url, 'both', { key, capabilities: { capabilities } });
    v1Clients.push(client);
    return client;
  };

  /** What the v2 upstream's `client_envelope` tool saw of the request's client. */
  const envelopeSeenBy = async (call: Promise<unknown>): Promise<{ era: string; capabilities: unknown; clientInfo: { name: string } | null }> =>
    JSON.parse(resultText(await call)) as { era: string; capabilities: unknown; clientInfo: { name: string } | null };

  beforeAll(async () => {
    const [modern, modernOnly, legacy] = await Promise.all([
      startHttpServer([fixtureServer('fast-server-v2.js'), '--http', '0']),
      startHttpServer([fixtureServer('fast-server-v2.js'), '--http', '0', '--modern-only']),
      startHttpServer([fixtureServer('fast-server.js'), '--http', '0']),
    ]);
    upstreams.push(modern, modernOnly, legacy);
    gh = await startTestGatehouse();
    await register('modern', modern);
    await register('only2026', modernOnly);
    await register('legacy', legacy);
    await createProfile(gh, 'both', ['modern', 'only2026', 'legacy']);
    key = await issueKey(gh, ['both']);
  });

  afterAll(async () => {
    await Promise.allSettled([...v1Clients.map((c) => c.close()), ...v2Clients.map((c) => c.close())]);
    await gh?.stop();
    await Promise.allSettled(upstreams.map((upstream) => upstream.stop()));
  });

  it('serves a 2025 and a 2026 client at once from a 2026 and a 2025 upstream, and records what each upstream speaks', async () => {
    const [v1, v2] = await Promise.all([v1Client({}), v2Client({}, 'v2-plain')]);
    const [old, modern] = await Promise.all([v1.listTools(), v2.listTools()]);
    const names = old.tools.map((tool) => tool.name).sort();
    expect(names).toEqual(expect.arrayContaining(['legacy__echo', 'modern__echo', 'modern__client_envelope', 'only2026__echo']));
    expect(modern.tools.map((tool) => tool.name).sort()).toEqual(names);
    const calls = await Promise.all(
      [v1, v2].flatMap((client, i) =>
        ['legacy', 'modern', 'only2026'].map(async (server) => [server, i, resultText(await client.callTool({ name: `${server}__echo`, arguments: { message: `${server}-${i}` } }))]),
      ),
    );
    for (const [server, i, text] of calls) expect(text).toBe(`${server}-${i}`);

    const revisions = Object.fromEntries(
      await Promise.all(['modern', 'only2026', 'legacy'].map(async (name) => [name, (await gh.api('GET', `/api/servers/${name}`)).body.runtime.protocolVersion])),
    );
    expect(revisions).toEqual({ modern: VERSION, only2026: VERSION, legacy: LATEST_PROTOCOL_VERSION });
    const listed = (await gh.api('GET', '/api/servers')).body.servers as { name: string; runtime: { protocolVersion: string | null } }[];
    expect(listed.find((server) => server.name === 'modern')?.runtime.protocolVersion).toBe(VERSION);
  });

  it('tells a 2026 upstream the capabilities and identity of the client each request is for, not the gateway\'s', async () => {
    const elicitingV2 = await v2Client({ elicitation: { form: {} } }, 'v2-elicits');
    const plainV1 = await v1Client({});
    const rootsV1 = await v1Client({ roots: { listChanged: true } });
    const [fromV2, fromPlainV1, fromRootsV1] = await Promise.all([
      envelopeSeenBy(elicitingV2.callTool({ name: 'modern__client_envelope', arguments: {} })),
      envelopeSeenBy(plainV1.callTool({ name: 'modern__client_envelope', arguments: {} })),
      envelopeSeenBy(rootsV1.callTool({ name: 'only2026__client_envelope', arguments: {} })),
    ]);
    expect(fromV2).toEqual({ era: 'modern', capabilities: { elicitation: { form: {} } }, clientInfo: { name: 'v2-elicits', version: '2.0.0' } });
    // The gateway itself declares sampling, elicitation and roots upstream: none of it shows here.
    expect(fromPlainV1).toEqual({ era: 'modern', capabilities: {}, clientInfo: { name: 'gatehouse-test', version: '1.0.0' } });
    expect(fromRootsV1.capabilities).toEqual({ roots: { listChanged: true } });
  });

  it('a 2026 client\'s call to a 2026 upstream enters no AsyncLocalStorage (Node\'s promise hooks stay off); a 2025 client\'s call, whose questions the SDK asks through the handlers, does', async () => {
    const [v2, v1] = await Promise.all([v2Client({ elicitation: { form: {} } }, 'v2-no-context'), v1Client({ elicitation: { form: {} } })]);
    const run = jest.spyOn(AsyncLocalStorage.prototype, 'run');
    // run() with no store where there is none (the gateway's own requests) returns at once and enables nothing.
    const entered = (): unknown[] => run.mock.calls.map(([store]) => store).filter((store) => store !== undefined);
    try {
      expect(resultText(await v2.callTool({ name: 'modern__echo', arguments: { message: 'stateless' } }))).toBe('stateless');
      expect(entered()).toEqual([]);
      expect(resultText(await v1.callTool({ name: 'modern__echo', arguments: { message: 'session' } }))).toBe('session');
      expect(entered()).toHaveLength(1);
    } finally {
      run.mockRestore();
    }
  });

  it('a 2026 upstream that goes away and comes back as a 2025-only server on the same port is asked again and gets a 2025 session', async () => {
    let upstream = await startHttpServer([fixtureServer('fast-server-v2.js'), '--http', '0', '--modern-only']);
    upstreams.push(upstream);
    await register('flip', upstream);
    await createProfile(gh, 'flip', ['flip']);
    const flipKey = await issueKey(gh, ['flip'], 'flip-key');
    const client = await connectClient(gh.url, 'flip', { key: flipKey });
    v1Clients.push(client);
    const echo = async (message: string) => resultText(await client.callTool({ name: 'flip__echo', arguments: { message } }));
    expect(await echo('before')).toBe('before');
    expect((await gh.api('GET', '/api/servers/flip')).body.runtime.protocolVersion).toBe(VERSION);

    await upstream.stop();
    upstream = await startHttpServer([fixtureServer('fast-server.js'), '--http', String(upstream.port)]);
    upstreams.push(upstream);
    // The first call after the swap fails (the 2025 server refuses a sessionless request); the
    // gateway then connects again and finds a 2025 server.
    await waitFor(async () => (await echo('after').catch(() => '')) === 'after', 30_000, 'a call through the 2025 session');
    expect((await gh.api('GET', '/api/servers/flip')).body.runtime.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('a 2025 client\'s resources/subscribe on a 2026 upstream becomes part of the gateway\'s listen stream: it hears resources/updated', async () => {
    const client = await v1Client({});
    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updated.push(notification.params.uri);
    });
    await client.subscribeResource({ uri: 'fixture://counter' });
    await client.callTool({ name: 'modern__bump', arguments: {} });
    await waitFor(() => updated.includes('fixture://counter'), 15_000, 'resources/updated for fixture://counter');
    const read = await client.readResource({ uri: 'fixture://counter' });
    expect(Number((read.contents[0] as { text: string }).text)).toBeGreaterThan(0);
    await client.unsubscribeResource({ uri: 'fixture://counter' });
  });

  it('a 2025 client\'s logging/setLevel reaches a 2026 upstream as the log level in the requests\' _meta, and its log lines come back', async () => {
    const upstream = await startHttpServer([fixtureServer('conformance-server-v2.js'), '--http', '0']);
    upstreams.push(upstream);
    await register('logs', upstream);
    await createProfile(gh, 'logs', ['logs']);
    const logsKey = await issueKey(gh, ['logs'], 'logs-key');
    const client = await connectClient(gh.url, 'logs', { key: logsKey });
    v1Clients.push(client);
    const lines: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      lines.push(notification.params.data);
    });
    await client.callTool({ name: 'logs__test_tool_with_logging', arguments: {} });
    expect(lines).toEqual([]);
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'logs__test_tool_with_logging', arguments: {} });
    await waitFor(() => lines.length >= 3, 10_000, 'three log lines');
    expect(lines).toEqual(['Tool execution started', 'Tool processing data', 'Tool execution completed']);
    expect((await gh.api('GET', '/api/servers/logs')).body.runtime.protocolVersion).toBe(VERSION);
  });

  it('a 2026 upstream\'s input_required reaches a 2026 client, whose answer and requestState go back to the upstream', async () => {
    const asked: string[] = [];
    const client = await v2Client({ elicitation: { form: {} } }, 'v2-answers');
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: { confirm: true } };
    });
    const result = await client.callTool({ name: 'modern__confirm', arguments: { question: 'Ship it?' } });
    expect(asked).toEqual(['Ship it?']);
    expect(resultText(result)).toBe('modern: accept {"confirm":true} state=asked-once');
  });

  it('a 2025 client is asked on its session when a 2026 upstream needs input, and the gateway retries the call with the answer', async () => {
    const client = await v1Client({ elicitation: { form: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: { confirm: false } };
    });
    const result = await client.callTool({ name: 'only2026__confirm', arguments: { question: 'Delete it?' } });
    expect(asked).toEqual(['Delete it?']);
    expect(resultText(result)).toBe('modern: accept {"confirm":false} state=asked-once');
  });
});
