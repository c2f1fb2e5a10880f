import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { fitName } from '../../src/domain/profile/exposed-names';
import { fixtureServer } from '../fixtures/upstream-fixtures';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { clientPool } from '../support/mcp-client';
import { createProfile, NotificationLog, PROBE_SERVER, registerStdioServer, resultText, rpcErrorOf, waitFor } from '../support/proxy';

const EXPOSED = /^[a-zA-Z0-9_-]{1,64}$/;
const LONG_A = `${'x'.repeat(60)}A1`;
const LONG_B = `${'x'.repeat(60)}B1`;

const names = async (client: Client): Promise<string[]> => (await client.listTools()).tools.map((tool) => tool.name);
const labelOf = async (client: Client, tool: string): Promise<string> =>
  (JSON.parse(resultText(await client.callTool({ name: tool, arguments: {} }))) as { label: string }).label;

describe('MCP proxy aggregation over several servers', () => {
  let gh: TestGatehouse;
  const { open, closeAll } = clientPool(() => gh.url);

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'alpha', PROBE_SERVER, ['--label', 'alpha', '--extra', 'only_alpha']);
    await registerStdioServer(gh, 'beta', PROBE_SERVER, ['--label', 'beta', '--extra', 'only_beta']);
    await registerStdioServer(gh, 'conf', fixtureServer('conformance-server.js'));
    await registerStdioServer(gh, 'paged', fixtureServer('paged-server.js'));
    await registerStdioServer(gh, LONG_A, PROBE_SERVER, ['--label', 'long-a']);
    await registerStdioServer(gh, LONG_B, PROBE_SERVER, ['--label', 'long-b']);
    await registerStdioServer(gh, 'gamma', PROBE_SERVER, ['--label', 'gamma']);
    const open = { auth: { apiKey: false } };
    await createProfile(gh, 'all', ['alpha', 'beta', 'conf', 'paged'], open);
    await createProfile(gh, 'conflict', ['alpha', 'beta'], { ...open, toolPrefix: 'on_conflict' });
    await createProfile(gh, 'flat', ['alpha', 'beta'], { ...open, toolPrefix: 'never' });
    await createProfile(gh, 'long', [LONG_A, LONG_B], open);
    await createProfile(gh, 'ovr', ['alpha'], open);
    await createProfile(gh, 'lvl', ['gamma'], open);
  });
  afterAll(async () => {
    await closeAll();
    await gh.stop();
  });

  describe('tool names', () => {
    it('toolPrefix always: every tool as <server>__<tool>, each routed to its server', async () => {
      const client = await open('all');
      const listed = await names(client);
      expect(listed).toEqual(expect.arrayContaining(['alpha__whoami', 'beta__whoami', 'alpha__only_alpha', 'conf__test_simple_text']));
      expect(listed.every((name) => EXPOSED.test(name))).toBe(true);
      expect(new Set(listed).size).toBe(listed.length);
      expect(await labelOf(client, 'alpha__whoami')).toBe('alpha');
      expect(await labelOf(client, 'beta__whoami')).toBe('beta');
      expect(resultText(await client.callTool({ name: 'conf__test_simple_text', arguments: {} }))).toBe('This is a simple text response for testing.');
    });

    it('toolPrefix on_conflict: only names that clash get the prefix', async () => {
      const client = await open('conflict');
      const listed = await names(client);
      expect(listed).toEqual(expect.arrayContaining(['alpha__whoami', 'beta__whoami', 'only_alpha', 'only_beta']));
      expect(listed).not.toContain('whoami');
      expect(resultText(await client.callTool({ name: 'only_beta', arguments: {} }))).toBe('only_beta:beta');
      expect(await labelOf(client, 'beta__whoami')).toBe('beta');
    });

    it('toolPrefix never: bare names, the first attached server wins a clash', async () => {
      const client = await open('flat');
      const listed = await names(client);
      expect(listed.filter((name) => name === 'whoami')).toHaveLength(1);
      expect(listed).toEqual(expect.arrayContaining(['only_alpha', 'only_beta']));
      expect(listed.some((name) => name.includes('__'))).toBe(false);
      expect(await labelOf(client, 'whoami')).toBe('alpha');
    });

    it('shortens names longer than 64 characters deterministically and keeps them distinct and callable', async () => {
      const client = await open('long');
      const first = await names(client);
      expect(first).toHaveLength(12);
      expect(first.every((name) => EXPOSED.test(name))).toBe(true);
      expect(new Set(first).size).toBe(first.length);
      expect(await names(await open('long'))).toEqual(first);
      const whoamiA = fitName(`${LONG_A}__whoami`);
      const whoamiB = fitName(`${LONG_B}__whoami`);
      expect(first).toEqual(expect.arrayContaining([whoamiA, whoamiB]));
      expect(await labelOf(client, whoamiA)).toBe('long-a');
      expect(await labelOf(client, whoamiB)).toBe('long-b');
    });
  });

  describe('per-profile overrides and status', () => {
    it('applies name, title, description and annotations to the list and routes the new name', async () => {
      const client = await open('ovr');
      const changes = new NotificationLog(client, ToolListChangedNotificationSchema);
      await client.listTools();
      const mark = changes.mark();
      const patch = await gh.api('PATCH', '/api/profiles/ovr/tools/alpha/whoami', {
        name: 'who_is_it',
        title: 'Who is it',
        description: 'Overridden description',
        annotations: { readOnlyHint: true },
      });
      expect(patch.status).toBe(200);
      await changes.next(1_000, undefined, mark);
      const { tools } = await client.listTools();
      const renamed = tools.find((tool) => tool.name === 'who_is_it');
      expect(renamed).toEqual(expect.objectContaining({ title: 'Who is it', description: 'Overridden description', annotations: expect.objectContaining({ readOnlyHint: true }) }));
      expect(tools.map((tool) => tool.name)).not.toContain('alpha__whoami');
      expect(await labelOf(client, 'who_is_it')).toBe('alpha');
      const old = await rpcErrorOf(client.callTool({ name: 'alpha__whoami', arguments: {} }));
      expect(old.code).toBe(ErrorCode.InvalidParams);
    });

    it('keeps a setting for a tool the server has not listed, with a warning once its tools are known', async () => {
      const client = await open('ovr');
      await client.listTools();
      await waitFor(async () => ((await gh.api('GET', '/api/servers/alpha/tools')).body.tools?.length ?? 0) > 0, 5_000, 'alpha\'s tools discovered');
      const typo = await gh.api('PATCH', '/api/profiles/ovr/tools/alpha/whoamii', { description: 'typo' });
      expect(typo.status).toBe(200);
      expect(typo.body.tool).toMatchObject({ originalName: 'whoamii', discovered: false });
      expect(typo.body.warnings).toEqual([expect.stringMatching(/^server "alpha" has not listed a tool "whoamii"; the setting is kept and applies if it ever does\. Its tools: .*\bwhoami\b/)]);
      const known = await gh.api('PATCH', '/api/profiles/ovr/tools/alpha/only_alpha', { description: 'known' });
      expect(known.status).toBe(200);
      expect(known.body.warnings).toBeUndefined();
    });

    it('an inactive tool is neither listed nor callable', async () => {
      const client = await open('ovr');
      const changes = new NotificationLog(client, ToolListChangedNotificationSchema);
      expect(await names(client)).toContain('alpha__only_alpha');
      expect(resultText(await client.callTool({ name: 'alpha__only_alpha', arguments: {} }))).toBe('only_alpha:alpha');
      const mark = changes.mark();
      expect((await gh.api('PATCH', '/api/profiles/ovr/tools/alpha/only_alpha', { status: 'inactive' })).status).toBe(200);
      await changes.next(1_000, undefined, mark);
      // Called before listing again: the session must not route by what it listed earlier.
      const error = await rpcErrorOf(client.callTool({ name: 'alpha__only_alpha', arguments: {} }));
      expect(error.code).toBe(ErrorCode.InvalidParams);
      expect(error.message).toMatch(/alpha__only_alpha/);
      expect(await names(client)).not.toContain('alpha__only_alpha');
      await expect(client.callTool({ name: 'alpha__only_alpha', arguments: {} })).rejects.toThrow(McpError);
    });

    it('a renamed tool stops answering to its old name even without a new list', async () => {
      const client = await open('ovr');
      const changes = new NotificationLog(client, ToolListChangedNotificationSchema);
      expect(await names(client)).toContain('alpha__stats');
      const mark = changes.mark();
      expect((await gh.api('PATCH', '/api/profiles/ovr/tools/alpha/stats', { name: 'alpha_numbers' })).status).toBe(200);
      await changes.next(1_000, undefined, mark);
      await expect(rpcErrorOf(client.callTool({ name: 'alpha__stats', arguments: {} }))).resolves.toEqual(expect.any(McpError));
      expect(await labelOf(client, 'alpha_numbers')).toBe('alpha');
    });
  });

  describe('resources, prompts and completions', () => {
    it('lists every server’s resources and routes reads by URI', async () => {
      const client = await open('all');
      const uris = (await client.listResources()).resources.map((resource) => resource.uri);
      expect(uris).toEqual(expect.arrayContaining(['probe://alpha/a', 'probe://beta/b', 'test://static-text', 'paged://resource/5']));
      const read = async (uri: string) => (await client.readResource({ uri })).contents[0] as { text?: string };
      expect((await read('probe://beta/b')).text).toBe('content of probe://beta/b from beta');
      expect((await read('probe://alpha/a')).text).toBe('content of probe://alpha/a from alpha');
      expect((await read('test://static-text')).text).toBe('This is the content of the static text resource.');
      expect(JSON.parse((await read('test://template/42/data')).text ?? '{}')).toEqual(expect.objectContaining({ id: '42' }));
      const unknown = await rpcErrorOf(client.readResource({ uri: 'nowhere://at/all' }));
      expect(unknown.code).toBe(-32002);
    });

    it('routes prompts/get and completion/complete to the prompt’s server', async () => {
      const client = await open('all');
      const prompts = (await client.listPrompts()).prompts.map((prompt) => prompt.name);
      expect(prompts).toEqual(expect.arrayContaining(['conf__test_prompt_with_arguments', 'paged__prompt_1']));
      const prompt = await client.getPrompt({ name: 'conf__test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } });
      expect(JSON.stringify(prompt.messages)).toContain("arg1='a', arg2='b'");
      const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'conf__test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'par' } });
      expect(completion.completion.values).toEqual(['paris', 'park', 'party']);
      const unknown = await rpcErrorOf(client.getPrompt({ name: 'conf__no_such_prompt' }));
      expect(unknown.code).toBe(ErrorCode.InvalidParams);
    });

    it('follows every upstream page: all of paged-server’s tools, prompts, resources and templates', async () => {
      const client = await open('all');
      const tools = await names(client);
      expect(tools.filter((name) => name.startsWith('paged__')).sort()).toEqual(['paged__tool_1', 'paged__tool_2', 'paged__tool_3', 'paged__tool_4', 'paged__tool_5']);
      expect(tools).toEqual(expect.arrayContaining(['alpha__whoami', 'conf__test_simple_text']));
      expect((await client.listPrompts()).prompts.filter((prompt) => prompt.name.startsWith('paged__'))).toHaveLength(5);
      expect((await client.listResources()).resources.filter((resource) => resource.uri.startsWith('paged://'))).toHaveLength(5);
      const templates = (await client.listResourceTemplates()).resourceTemplates.map((template) => template.uriTemplate);
      expect(templates.filter((template) => template.startsWith('paged://'))).toHaveLength(5);
      expect(templates).toContain('test://template/{id}/data');
    });
  });

  describe('logging/setLevel', () => {
    it('sets the level on every server of the profile that supports logging', async () => {
      const client = await open('all');
      await client.setLoggingLevel('error');
      const level = async (tool: string) => (JSON.parse(resultText(await client.callTool({ name: tool, arguments: {} }))) as { level: string }).level;
      expect(await level('alpha__stats')).toBe('error');
      expect(await level('beta__stats')).toBe('error');
      await client.setLoggingLevel('info');
      expect(await level('alpha__stats')).toBe('info');
    });

    it('applies a level set before the upstream was ever used', async () => {
      const client = await open('lvl');
      await client.setLoggingLevel('critical');
      const stats = JSON.parse(resultText(await client.callTool({ name: 'gamma__stats', arguments: {} }))) as { level: string };
      expect(stats.level).toBe('critical');
    });
  });
});
