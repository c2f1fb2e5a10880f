import {
  deferred,
  EVERYTHING_ENTRY,
  httpSpec,
  startEverythingHttp,
  stdioSpec,
  textOf,
  within,
  type RunningHttpServer,
} from '../../../test/fixtures/upstream-fixtures';
import { UpstreamSupervisor, type UpstreamProgress, type UpstreamSpec } from '.';

/**
 * Against @modelcontextprotocol/server-everything, the reference server, over each transport.
 */
const transports: Array<[string, () => Promise<{ spec: UpstreamSpec; server?: RunningHttpServer }>]> = [
  ['stdio', async () => ({ spec: stdioSpec(EVERYTHING_ENTRY, ['stdio']) })],
  [
    'streamable_http',
    async () => {
      const server = await startEverythingHttp('streamableHttp');
      return { spec: httpSpec(`${server.baseUrl}/mcp`), server };
    },
  ],
  [
    'sse',
    async () => {
      const server = await startEverythingHttp('sse');
      return { spec: httpSpec(`${server.baseUrl}/sse`, 'sse'), server };
    },
  ],
];

describe.each(transports)('server-everything over %s', (_transport, start) => {
  let supervisor: UpstreamSupervisor;
  let server: RunningHttpServer | undefined;

  beforeAll(async () => {
    const started = await start();
    server = started.server;
    supervisor = new UpstreamSupervisor(started.spec, { connectTimeoutMs: 10_000, defaultRequestTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    try {
      await supervisor?.close();
    } finally {
      await server?.stop();
    }
  });

  it('connects on first use and lists its tools', async () => {
    expect(supervisor.health().status).toBe('idle');

    const tools = await supervisor.listTools();

    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'trigger-long-running-operation']));
    expect(supervisor.health().status).toBe('ready');
    expect(supervisor.serverInfo?.name).toBe('mcp-servers/everything');
    expect(supervisor.serverCapabilities?.tools).toBeDefined();
  });

  it('calls echo', async () => {
    const result = await supervisor.callTool({ name: 'echo', arguments: { message: 'hello gatehouse' } });

    expect(textOf(result)).toBe('Echo: hello gatehouse');
  });

  it('delivers the progress of a long-running tool to the request', async () => {
    const updates: UpstreamProgress[] = [];

    const result = await supervisor.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      { onprogress: (progress) => updates.push(progress) },
    );

    expect(textOf(result)).toContain('Long running operation completed');
    expect(updates).toEqual([
      { progress: 1, total: 3 },
      { progress: 2, total: 3 },
      { progress: 3, total: 3 },
    ]);
  });

  it('answers a sampling request through the handler the proxy set', async () => {
    const received = deferred<string>();
    supervisor.setHandlers({
      onSamplingRequest: async (params) => {
        const first = params.messages[0]?.content;
        received.resolve(first && 'text' in first ? String(first.text) : '');
        return { role: 'assistant', content: { type: 'text', text: 'sampled by the test' }, model: 'test-model' };
      },
    });

    const result = await supervisor.callTool({
      name: 'trigger-sampling-request',
      arguments: { prompt: 'a haiku about gateways', maxTokens: 20 },
    });

    await expect(within(received.promise, 1000, 'sampling handler')).resolves.toContain('a haiku about gateways');
    expect(textOf(result)).toContain('sampled by the test');
  });

  it('lists prompts, resources and templates', async () => {
    const [prompts, resources, templates] = await Promise.all([
      supervisor.listPrompts(),
      supervisor.listResources(),
      supervisor.listResourceTemplates(),
    ]);

    expect(prompts.length).toBeGreaterThan(0);
    expect(resources.length).toBeGreaterThan(0);
    expect(templates.length).toBeGreaterThan(0);
  });

  it('closes to the stopped state and refuses further requests', async () => {
    await supervisor.close();

    expect(supervisor.health().status).toBe('stopped');
    await expect(supervisor.ping()).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED' });
  });
});
