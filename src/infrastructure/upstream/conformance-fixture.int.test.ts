import {
  deferred,
  fixtureServer,
  httpSpec,
  startHttpServer,
  stdioSpec,
  textOf,
  within,
  type RunningHttpServer,
} from '../../../test/fixtures/upstream-fixtures';
import { UpstreamSupervisor, type McpLoggingMessage, type UpstreamSpec } from '.';

/**
 * The whole upstream interface against our conformance fixture (the tool, resource and prompt
 * names the official conformance suite calls), over stdio and Streamable HTTP.
 */
const CONFORMANCE = fixtureServer('conformance-server.js');

const transports: Array<[string, () => Promise<{ spec: UpstreamSpec; server?: RunningHttpServer }>]> = [
  ['stdio', async () => ({ spec: stdioSpec(CONFORMANCE) })],
  [
    'streamable_http',
    async () => {
      const server = await startHttpServer([CONFORMANCE, '--http', '0']);
      return { spec: httpSpec(`${server.baseUrl}/mcp`), server };
    },
  ],
];

describe.each(transports)('conformance fixture over %s', (_transport, start) => {
  let supervisor: UpstreamSupervisor;
  let server: RunningHttpServer | undefined;

  beforeAll(async () => {
    const started = await start();
    server = started.server;
    supervisor = new UpstreamSupervisor(started.spec, { connectTimeoutMs: 10_000, defaultRequestTimeoutMs: 5_000 });
    await supervisor.connect();
  });

  afterAll(async () => {
    try {
      await supervisor?.close();
    } finally {
      await server?.stop();
    }
  });

  it('returns text, image, audio, embedded and mixed content', async () => {
    const call = (name: string) => supervisor.callTool({ name, arguments: {} });
    const [simple, image, audio, embedded, mixed] = await Promise.all(
      ['test_simple_text', 'test_image_content', 'test_audio_content', 'test_embedded_resource', 'test_multiple_content_types'].map(
        call,
      ),
    );

    expect(textOf(simple)).toBe('This is a simple text response for testing.');
    expect(image.content).toEqual([expect.objectContaining({ type: 'image', mimeType: 'image/png' })]);
    expect(audio.content).toEqual([expect.objectContaining({ type: 'audio', mimeType: 'audio/wav' })]);
    expect(embedded.content[0]).toMatchObject({ type: 'resource', resource: { uri: 'test://embedded-resource' } });
    expect(mixed.content.map((item) => item.type)).toEqual(['text', 'image', 'resource']);
  });

  it('passes a tool error result through as a result, not an exception', async () => {
    const result = await supervisor.callTool({ name: 'test_error_handling', arguments: {} });

    expect(result.isError).toBe(true);
  });

  it('reports an upstream JSON-RPC error with its wire code', async () => {
    await expect(supervisor.readResource({ uri: 'test://missing' })).rejects.toMatchObject({
      code: 'UPSTREAM_RPC_ERROR',
      rpcError: { code: -32002, message: 'Resource not found: test://missing' },
    });
  });

  it('delivers progress 0, 50, 100', async () => {
    const progress: number[] = [];

    await supervisor.callTool(
      { name: 'test_tool_with_progress', arguments: {} },
      { onprogress: (update) => progress.push(update.progress) },
    );

    expect(progress).toEqual([0, 50, 100]);
  });

  it('hands progress for a token the caller attached to the onProgress handler', async () => {
    const tokens: Array<string | number> = [];
    supervisor.setHandlers({ onProgress: (params) => tokens.push(params.progressToken) });

    await supervisor.request('tools/call', {
      name: 'test_tool_with_progress',
      arguments: {},
      _meta: { progressToken: 'downstream-7' },
    });

    expect(tokens).toEqual(['downstream-7', 'downstream-7', 'downstream-7']);
  });

  it('forwards log messages after the level is set', async () => {
    const messages: McpLoggingMessage[] = [];
    const third = deferred<void>();
    supervisor.setHandlers({
      onLoggingMessage: (message) => {
        messages.push(message);
        if (messages.length === 3) third.resolve();
      },
    });

    await supervisor.setLoggingLevel('debug');
    await supervisor.callTool({ name: 'test_tool_with_logging', arguments: {} });
    await within(third.promise, 2000, 'three log messages');

    expect(messages.map((message) => message.data)).toEqual([
      'Tool execution started',
      'Tool processing data',
      'Tool execution completed',
    ]);
  });

  it('routes sampling and elicitation requests to the handlers', async () => {
    supervisor.setHandlers({
      onSamplingRequest: async () => ({ role: 'assistant', content: { type: 'text', text: 'forty-two' }, model: 'm' }),
      onElicitationRequest: async () => ({ action: 'accept', content: { username: 'ada', email: 'ada@example.com' } }),
    });

    const sampled = await supervisor.callTool({ name: 'test_sampling', arguments: { prompt: 'meaning of life?' } });
    const elicited = await supervisor.callTool({ name: 'test_elicitation', arguments: { message: 'who are you?' } });

    expect(textOf(sampled)).toBe('LLM response: forty-two');
    expect(textOf(elicited)).toContain('"username":"ada"');
  });

  it('answers "method not found" upstream when the proxy has no handler', async () => {
    supervisor.setHandlers({ onSamplingRequest: undefined });

    // The fixture lets the failed sampling request fail its tool call.
    await expect(supervisor.callTool({ name: 'test_sampling', arguments: { prompt: 'anyone?' } })).rejects.toMatchObject({
      code: 'UPSTREAM_RPC_ERROR',
      message: expect.stringContaining('sampling is not available'),
    });
  });

  it('reads static, binary and templated resources', async () => {
    const text = await supervisor.readResource({ uri: 'test://static-text' });
    const binary = await supervisor.readResource({ uri: 'test://static-binary' });
    const templated = await supervisor.readResource({ uri: 'test://template/123/data' });

    expect(text.contents[0]).toMatchObject({ text: 'This is the content of the static text resource.' });
    expect(binary.contents[0]).toMatchObject({ mimeType: 'image/png', blob: expect.any(String) });
    expect(JSON.parse(String((templated.contents[0] as { text: string }).text))).toEqual({
      id: '123',
      templateTest: true,
      data: 'Data for ID: 123',
    });
  });

  it('subscribes, receives an update, and unsubscribes', async () => {
    const updated = deferred<string>();
    supervisor.setHandlers({ onResourceUpdated: (params) => updated.resolve(params.uri) });

    await supervisor.subscribe('test://watched-resource');

    await expect(within(updated.promise, 2000, 'resource update')).resolves.toBe('test://watched-resource');
    await supervisor.unsubscribe('test://watched-resource');
  });

  it('gets prompts with arguments and completes an argument', async () => {
    const prompts = await supervisor.listPrompts();
    const prompt = await supervisor.getPrompt({
      name: 'test_prompt_with_arguments',
      arguments: { arg1: 'hello', arg2: 'world' },
    });
    const completion = await supervisor.complete({
      ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
      argument: { name: 'arg1', value: 'par' },
    });

    expect(prompts.map((item) => item.name)).toContain('test_prompt_with_image');
    expect(prompt.messages[0].content).toEqual({ type: 'text', text: "Prompt with arguments: arg1='hello', arg2='world'" });
    expect(completion.completion.values).toEqual(['paris', 'park', 'party']);
  });

  it('keeps JSON Schema 2020-12 keywords of a tool input schema', async () => {
    const tools = await supervisor.listTools();
    const tool = tools.find((item) => item.name === 'json_schema_2020_12_tool');

    expect(tool?.inputSchema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $defs: { address: expect.any(Object) },
      additionalProperties: false,
    });
  });

  it('passes any other method through the generic request', async () => {
    const result = await supervisor.request('tools/list', {});

    expect(Array.isArray(result.tools)).toBe(true);
  });
});
