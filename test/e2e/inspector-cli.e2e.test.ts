import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fixtureServer } from '../fixtures/upstream-fixtures';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { createProfile, PROBE_SERVER, registerStdioServer } from '../support/proxy';

/**
 * The MCP Inspector's command-line client (`@modelcontextprotocol/inspector-cli`, run as
 * `node <its index.js>`) against the gateway: another real client than the SDK's own, over
 * Streamable HTTP and the legacy SSE transport, with an API key and without one.
 */
const INSPECTOR = join(dirname(require.resolve('@modelcontextprotocol/inspector-cli/package.json')), 'build/index.js');

type Run = { code: number; stdout: string; stderr: string };

const inspect = (...args: string[]): Promise<Run> =>
  new Promise((done) => {
    // Its own directory as cwd: the CLI looks for its package.json relative to the working directory.
    execFile(process.execPath, [INSPECTOR, ...args], { timeout: 20_000, cwd: dirname(INSPECTOR) }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });

const json = <T>(run: Run): T => {
  if (run.code !== 0) throw new Error(`inspector exited ${run.code}: ${run.stderr || run.stdout}`);
  return JSON.parse(run.stdout) as T;
};

describe('the MCP Inspector CLI through the gateway', () => {
  let gh: TestGatehouse;
  let key: string;
  let url: string;
  const bearer = (): string[] => ['--header', `Authorization: Bearer ${key}`];

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'insp']);
    await registerStdioServer(gh, 'conf', fixtureServer('conformance-server.js'));
    await createProfile(gh, 'insp', ['probe', 'conf']);
    const issued = await gh.api('POST', '/api/keys', { name: 'inspector', profiles: ['insp'] });
    expect(issued.status).toBe(201);
    key = issued.body.key as string;
    url = `${gh.url}/mcp/insp`;
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('lists the tools of every server under their prefixed names (Streamable HTTP)', async () => {
    const { tools } = json<{ tools: { name: string }[] }>(await inspect(url, '--transport', 'http', '--method', 'tools/list', ...bearer()));
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['probe__whoami', 'conf__test_simple_text']));
  });

  it('calls a tool, gets a prompt and reads the resource list', async () => {
    const called = json<{ content: { text: string }[] }>(await inspect(url, '--transport', 'http', '--method', 'tools/call', '--tool-name', 'conf__test_simple_text', ...bearer()));
    expect(called.content[0].text).toBe('This is a simple text response for testing.');
    const prompt = json<{ messages: { content: { text: string } }[] }>(
      await inspect(url, '--transport', 'http', '--method', 'prompts/get', '--prompt-name', 'conf__test_prompt_with_arguments', '--prompt-args', 'arg1=one', 'arg2=two', ...bearer()),
    );
    expect(prompt.messages[0].content.text).toBe("Prompt with arguments: arg1='one', arg2='two'");
    const resources = json<{ resources: { uri: string }[] }>(await inspect(url, '--transport', 'http', '--method', 'resources/list', ...bearer()));
    expect(resources.resources.map((resource) => resource.uri)).toEqual(expect.arrayContaining(['probe://insp/a', 'probe://insp/b']));
  });

  it('works over the legacy SSE transport too', async () => {
    const { tools } = json<{ tools: { name: string }[] }>(await inspect(`${url}/sse`, '--transport', 'sse', '--method', 'tools/list', ...bearer()));
    expect(tools.map((tool) => tool.name)).toContain('probe__whoami');
  });

  it('is refused without a key, and told why', async () => {
    const refused = await inspect(url, '--transport', 'http', '--method', 'tools/list');
    expect(refused.code).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/401|Unauthorized/);
  });
});
