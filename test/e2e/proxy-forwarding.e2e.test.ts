import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema, type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { deferred, fixtureServer, within } from '../fixtures/upstream-fixtures';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient, EVERYTHING_SERVER } from '../support/mcp-client';
import { createProfile, NotificationLog, PROBE_SERVER, registerStdioServer, resultText, waitFor } from '../support/proxy';

type ProbeStats = { cancelled: { tag: string | null }[]; subscriptions: string[]; level: string };

describe('MCP proxy forwarding: progress, cancellation, notifications and server→client requests', () => {
  let gh: TestGatehouse;
  const clients: Client[] = [];
  const open = async (capabilities: ConstructorParameters<typeof Client>[1] = { capabilities: {} }, slug = 'fw'): Promise<Client> => {
    const client = await connectClient(gh.url, slug, { capabilities });
    clients.push(client);
    return client;
  };
  const stats = async (client: Client): Promise<ProbeStats> =>
    JSON.parse(resultText(await client.callTool({ name: 'probe__stats', arguments: {} }))) as ProbeStats;

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'fw']);
    await registerStdioServer(gh, 'conf', fixtureServer('conformance-server.js'));
    await registerStdioServer(gh, 'everything', EVERYTHING_SERVER, ['stdio']);
    await createProfile(gh, 'fw', ['probe', 'conf', 'everything'], { auth: { apiKey: false } });
    await registerStdioServer(gh, 'isolated', fixtureServer('conformance-server.js'), [], { isolation: 'per_session' });
    await createProfile(gh, 'iso', ['isolated'], { auth: { apiKey: false } });
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
  });

  it('forwards progress of a long-running upstream operation to the caller', async () => {
    const client = await open();
    const updates: Progress[] = [];
    const result = await client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.5, steps: 5 } },
      undefined,
      { onprogress: (progress) => updates.push(progress) },
    );
    expect(resultText(result)).toContain('Long running operation completed');
    expect(updates.map((update) => update.progress)).toEqual([1, 2, 3, 4, 5]);
    expect(updates.every((update) => update.total === 5)).toBe(true);
  });

  it('cancels the upstream request when the caller aborts', async () => {
    const client = await open();
    const controller = new AbortController();
    const started = deferred<void>();
    const call = client.callTool({ name: 'probe__wait', arguments: { tag: 'abort-me' } }, undefined, {
      signal: controller.signal,
      onprogress: () => started.resolve(),
    });
    call.catch(() => undefined);
    await within(started.promise, 3_000, 'the upstream started the call');
    controller.abort('the user gave up');
    await expect(call).rejects.toThrow();
    await waitFor(async () => (await stats(client)).cancelled.some((entry) => entry.tag === 'abort-me'), 3_000, 'upstream saw the cancellation');
  });

  it('forwards logging messages an upstream sends while a tool runs', async () => {
    const client = await open();
    const logs = new NotificationLog(client, LoggingMessageNotificationSchema);
    const result = await client.callTool({ name: 'conf__test_tool_with_logging', arguments: {} });
    expect(resultText(result)).toBe('Tool with logging executed successfully');
    await logs.next(2_000, (n) => n.params.data === 'Tool execution completed');
    expect(logs.received.map((n) => n.params.data)).toEqual(
      expect.arrayContaining(['Tool execution started', 'Tool processing data', 'Tool execution completed']),
    );
    expect(logs.received.every((n) => n.params.level === 'info')).toBe(true);
  });

  it('forwards resources/updated after a subscribe, to the subscriber only', async () => {
    const subscriber = await open();
    const bystander = await open();
    const updates = new NotificationLog(subscriber, ResourceUpdatedNotificationSchema);
    const unrelated = new NotificationLog(bystander, ResourceUpdatedNotificationSchema);
    await subscriber.listResources();
    await subscriber.subscribeResource({ uri: 'test://watched-resource' });
    const update = await updates.next(2_000);
    expect(update.params.uri).toBe('test://watched-resource');
    // The bystander is on the same upstream connection; a second update proves the stream is quiet for it.
    await subscriber.callTool({ name: 'probe__touch', arguments: { uri: 'probe://fw/a' } });
    await bystander.listTools();
    expect(unrelated.received).toEqual([]);
  });

  it('keeps an upstream subscription while another session of the profile still holds it', async () => {
    const first = await open();
    const second = await open();
    const firstUpdates = new NotificationLog(first, ResourceUpdatedNotificationSchema);
    const secondUpdates = new NotificationLog(second, ResourceUpdatedNotificationSchema);
    await first.subscribeResource({ uri: 'probe://fw/b' });
    await second.subscribeResource({ uri: 'probe://fw/b' });
    await first.unsubscribeResource({ uri: 'probe://fw/b' });
    expect((await stats(second)).subscriptions).toContain('probe://fw/b');
    const touched = JSON.parse(resultText(await second.callTool({ name: 'probe__touch', arguments: { uri: 'probe://fw/b' } }))) as { subscribed: boolean };
    expect(touched.subscribed).toBe(true);
    await secondUpdates.next(2_000, (n) => n.params.uri === 'probe://fw/b');
    expect(firstUpdates.received.filter((n) => n.params.uri === 'probe://fw/b')).toEqual([]);
    await second.unsubscribeResource({ uri: 'probe://fw/b' });
    expect((await stats(second)).subscriptions).not.toContain('probe://fw/b');
  });

  it('subscribes the upstream again when its process is replaced, so updates keep coming', async () => {
    const client = await open();
    const updates = new NotificationLog(client, ResourceUpdatedNotificationSchema);
    const pidOf = async (): Promise<number> => (JSON.parse(resultText(await client.callTool({ name: 'probe__whoami', arguments: {} }))) as { pid: number }).pid;
    await client.subscribeResource({ uri: 'probe://fw/a' });
    const before = await pidOf();
    process.kill(before, 'SIGKILL');
    await waitFor(async () => (await pidOf().catch(() => before)) !== before, 10_000, 'a new probe process');
    await waitFor(async () => (await stats(client)).subscriptions.includes('probe://fw/a'), 3_000, 'the new process holds the subscription');
    const mark = updates.mark();
    await client.callTool({ name: 'probe__touch', arguments: { uri: 'probe://fw/a' } });
    await updates.next(2_000, (n) => n.params.uri === 'probe://fw/a', mark);
    await client.unsubscribeResource({ uri: 'probe://fw/a' });
    expect((await stats(client)).subscriptions).not.toContain('probe://fw/a');
  });

  it('forwards an upstream tools/list_changed, and the next list has the new tool', async () => {
    const client = await open();
    const changes = new NotificationLog(client, ToolListChangedNotificationSchema);
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('probe__fresh_tool');
    const mark = changes.mark();
    await client.callTool({ name: 'probe__add_tool', arguments: { name: 'fresh_tool' } });
    await changes.next(1_000, undefined, mark);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('probe__fresh_tool');
    expect(resultText(await client.callTool({ name: 'probe__fresh_tool', arguments: {} }))).toBe('fresh_tool:fw');
  });

  describe('server→client requests', () => {
    const samplingClient = async (label: string, seen: string[], slug = 'fw'): Promise<Client> => {
      const client = await open({ capabilities: { sampling: {} } }, slug);
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        const content = request.params.messages[0]?.content as { text?: string };
        seen.push(content.text ?? '');
        return { model: 'test-model', role: 'assistant', content: { type: 'text', text: `${label} answers ${content.text}` } };
      });
      return client;
    };

    it('delivers a sampling request to the client whose call caused it', async () => {
      const seenByA: string[] = [];
      const seenByB: string[] = [];
      const a = await samplingClient('A', seenByA);
      const b = await samplingClient('B', seenByB);
      await b.listTools(); // B used the upstream last, but A's call is the one in flight
      const fromA = await a.callTool({ name: 'conf__test_sampling', arguments: { prompt: 'from A' } });
      expect(resultText(fromA)).toBe('LLM response: A answers from A');
      const fromB = await b.callTool({ name: 'conf__test_sampling', arguments: { prompt: 'from B' } });
      expect(resultText(fromB)).toBe('LLM response: B answers from B');
      expect(seenByA).toEqual(['from A']);
      expect(seenByB).toEqual(['from B']);
    });

    it('with isolation per_session, concurrent callers each get their own sampling request', async () => {
      const seenByA: string[] = [];
      const seenByB: string[] = [];
      const a = await samplingClient('A', seenByA, 'iso');
      const b = await samplingClient('B', seenByB, 'iso');
      const [fromA, fromB] = await Promise.all([
        a.callTool({ name: 'isolated__test_sampling', arguments: { prompt: 'from A' } }),
        b.callTool({ name: 'isolated__test_sampling', arguments: { prompt: 'from B' } }),
      ]);
      expect(resultText(fromA)).toBe('LLM response: A answers from A');
      expect(resultText(fromB)).toBe('LLM response: B answers from B');
      expect([seenByA, seenByB]).toEqual([['from A'], ['from B']]);
    });

    it('delivers an elicitation request to the calling client and returns its answer', async () => {
      const client = await open({ capabilities: { elicitation: { form: {} } } });
      const asked: string[] = [];
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
      });
      const result = await client.callTool({ name: 'conf__test_elicitation', arguments: { message: 'Who are you?' } });
      expect(asked).toEqual(['Who are you?']);
      expect(resultText(result)).toBe('User response: action=accept, content={"username":"ada","email":"ada@example.com"}');
    });
  });
});
