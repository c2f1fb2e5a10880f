import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { freePort } from '../support/child-gatehouse';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { createProfile, PROBE_SERVER, registerStdioServer, resultText, rpcErrorOf, waitFor } from '../support/proxy';

/** What a tools/call answered: a result (text, isError) or a JSON-RPC error's message. */
const outcome = async (client: Client, name: string): Promise<{ isError: boolean; text: string } | { rpcError: string }> => {
  try {
    const result = await client.callTool({ name, arguments: {} });
    return { isError: result.isError === true, text: resultText(result) };
  } catch (error) {
    if (error instanceof McpError) return { rpcError: error.message };
    throw error;
  }
};

describe('a tool whose server is unavailable says which server and why', () => {
  let gh: TestGatehouse;
  let client: Client;
  let closedPort: number;

  beforeAll(async () => {
    gh = await startTestGatehouse();
    closedPort = await freePort(); // nothing listens there
    await registerStdioServer(gh, 'up', PROBE_SERVER, ['--label', 'up']);
    await registerStdioServer(gh, 'fragile', PROBE_SERVER, ['--label', 'fragile']);
    expect((await gh.api('POST', '/api/servers', { name: 'down', transport: 'streamable_http', url: `http://127.0.0.1:${closedPort}/mcp` })).status).toBe(201);
    await createProfile(gh, 'mix', ['up', 'fragile', 'down'], { auth: { apiKey: false } });
    client = await connectClient(gh.url, 'mix');
  });
  afterAll(async () => {
    await client?.close();
    await gh.stop();
  });

  it('lists the reachable servers’ tools and answers a call to the unreachable one with a tool error naming it', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['up__whoami', 'fragile__whoami']));
    expect(tools.some((tool) => tool.name.startsWith('down__'))).toBe(false);
    const answer = await outcome(client, 'down__echo');
    expect(answer).toEqual({ isError: true, text: expect.stringMatching(/^The tool "down__echo" cannot run now: its server "down" is unavailable: /) });
    expect(JSON.stringify(answer)).toMatch(/ECONNREFUSED|fetch failed|connect/i);
  });

  it('says so for a tool it listed before its server became unreachable, and why', async () => {
    expect(JSON.parse(resultText(await client.callTool({ name: 'fragile__whoami', arguments: {} })))).toMatchObject({ label: 'fragile' });
    // A command that cannot start: the server restarts into a failure and waits out its backoff.
    expect((await gh.api('PATCH', '/api/servers/fragile', { command: '/nonexistent/node' })).status).toBe(200);
    const answer = await waitFor(async () => {
      const seen = await outcome(client, 'fragile__whoami');
      return 'isError' in seen && seen.isError ? seen : false;
    }, 10_000, 'the call answered as unavailable');
    expect(answer.text).toMatch(/^The tool "fragile__whoami" cannot run now: its server "fragile" is unavailable: /);
    expect(answer.text).toContain('/nonexistent/node');
  });

  it('answers a prompt or resource it cannot find while a server could not list with -32603 naming that server, not -32602', async () => {
    const rpcError = async (call: Promise<unknown>): Promise<{ code: number; message: string }> => {
      const { code, message } = await rpcErrorOf(call);
      return { code, message };
    };
    const ofDown = await rpcError(client.getPrompt({ name: 'down__greet' }));
    expect(ofDown.code).toBe(-32603);
    expect(ofDown.message).toMatch(/Prompt "down__greet" was not found, and it may belong to a server that cannot be reached now: "down" \(/);
    // A name with a reachable server's prefix is that server's to know: the client's error.
    expect(await rpcError(client.getPrompt({ name: 'up__no_such_prompt' }))).toEqual({ code: -32602, message: 'MCP error -32602: Unknown prompt: up__no_such_prompt' });
    // Every name is prefixed here (toolPrefix "always"): one with no server's prefix is nobody's.
    expect(await rpcError(client.getPrompt({ name: 'nowhere__greet' }))).toEqual({ code: -32602, message: 'MCP error -32602: Unknown prompt: nowhere__greet' });
    const resource = await rpcError(client.readResource({ uri: 'probe://nothing' }));
    expect(resource.code).toBe(-32603);
    expect(resource.message).toMatch(/Resource probe:\/\/nothing was not found, and it may belong to a server that cannot be reached now: .*"down" \(/);
  });

  it('calls a name no server of the profile ever had unknown, with the error code said once', async () => {
    expect(await outcome(client, 'nowhere__tool')).toEqual({ rpcError: 'MCP error -32602: Unknown tool: nowhere__tool' });
    expect(await outcome(client, 'up__no_such_tool')).toEqual({ rpcError: 'MCP error -32602: Unknown tool: up__no_such_tool' });
  });
});
