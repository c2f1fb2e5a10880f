import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GATEHOUSE_BIN } from '../support/child-gatehouse';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import {
  createProfile, isPidRunning, issueKey, NotificationLog, patchSettings, PROBE_SERVER, rawMcp, rawSession, registerStdioServer, resultText, sessionHeaders, waitFor,
} from '../support/proxy';
import { TEST_SECRET_KEY } from '../support/temp-dir';

describe('MCP proxy transports: Streamable HTTP, legacy SSE and stdio', () => {
  let gh: TestGatehouse;
  let key: string;
  let endpoint: string;
  let auth: Record<string, string>;
  const clients: Client[] = [];

  const connect = async (transport: 'streamable' | 'sse' = 'streamable'): Promise<Client> => {
    const client = await connectClient(gh.url, 'tx', { key, transport });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'tx']);
    await createProfile(gh, 'tx', ['probe']);
    key = await issueKey(gh, ['tx']);
    endpoint = `${gh.url}/mcp/tx`;
    auth = { authorization: `Bearer ${key}` };
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
  });

  describe('Streamable HTTP', () => {
    it('opens a session, lists and calls through it', async () => {
      const client = await connect();
      expect((client.transport as StreamableHTTPClientTransport).sessionId).toMatch(/^gh1\.[0-9a-f]{16}\.[A-Za-z0-9_-]+$/);
      expect(client.getServerVersion()?.name).toBe('gatehouse');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['probe__whoami', 'probe__wait']));
      expect(JSON.parse(resultText(await client.callTool({ name: 'probe__whoami', arguments: {} })))).toEqual(expect.objectContaining({ label: 'tx' }));
    });

    it('serves the GET stream of a session as text/event-stream, and server notifications arrive on it', async () => {
      const sessionId = await rawSession(endpoint, auth);
      const controller = new AbortController();
      const response = await fetch(endpoint, { headers: { accept: 'text/event-stream', ...sessionHeaders(sessionId, auth) }, signal: controller.signal });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      controller.abort();

      // The SDK client opens its own GET stream; an upstream list_changed reaches it there.
      const client = await connect();
      const changes = new NotificationLog(client, ToolListChangedNotificationSchema);
      await client.listTools();
      const mark = changes.mark();
      await client.callTool({ name: 'probe__add_tool', arguments: { name: `added_${Date.now()}` } });
      await changes.next(2_000, undefined, mark);
    });

    it('ends a session on DELETE: the id then gets 404', async () => {
      const sessionId = await rawSession(endpoint, auth);
      const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
      expect((await rawMcp(endpoint, { body: list, headers: sessionHeaders(sessionId, auth) })).status).toBe(200);
      const deleted = await rawMcp(endpoint, { method: 'DELETE', headers: sessionHeaders(sessionId, auth) });
      expect(deleted.status).toBe(200);
      const after = await rawMcp(endpoint, { body: list, headers: sessionHeaders(sessionId, auth) });
      expect(after.status).toBe(404);
      expect(after.json).toEqual(expect.objectContaining({ jsonrpc: '2.0', error: expect.objectContaining({ code: expect.any(Number) }) }));
      expect(gh.gateway.sessions.has(sessionId)).toBe(false);
    });

    it('SDK terminateSession ends the session on the gateway', async () => {
      const client = await connect();
      const transport = client.transport as StreamableHTTPClientTransport;
      const sessionId = transport.sessionId!;
      expect(gh.gateway.sessions.has(sessionId)).toBe(true);
      await transport.terminateSession();
      expect(gh.gateway.sessions.has(sessionId)).toBe(false);
    });

    it.each(['POST', 'GET', 'DELETE'])('answers %s without a session id with 400', async (method) => {
      const response = await rawMcp(endpoint, { method, body: method === 'POST' ? { jsonrpc: '2.0', id: 1, method: 'tools/list' } : undefined, headers: auth });
      expect(response.status).toBe(400);
      expect(response.json).toEqual(expect.objectContaining({ jsonrpc: '2.0', error: expect.objectContaining({ code: expect.any(Number), message: expect.stringMatching(/session/i) }) }));
    });

    it.each(['POST', 'GET', 'DELETE'])('answers %s with an unknown session id with 404', async (method) => {
      const response = await rawMcp(endpoint, {
        method,
        body: method === 'POST' ? { jsonrpc: '2.0', id: 1, method: 'tools/list' } : undefined,
        headers: sessionHeaders(randomUUID(), auth),
      });
      expect(response.status).toBe(404);
      expect(response.json?.error).toEqual(expect.objectContaining({ code: expect.any(Number) }));
    });
  });

  describe('legacy SSE', () => {
    it('lists, calls and reads resources over /sse + /messages', async () => {
      const client = await connect('sse');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('probe__whoami');
      expect(JSON.parse(resultText(await client.callTool({ name: 'probe__whoami', arguments: {} })))).toEqual(expect.objectContaining({ label: 'tx' }));
      const read = await client.readResource({ uri: 'probe://tx/a' });
      expect(read.contents[0]).toEqual(expect.objectContaining({ text: 'content of probe://tx/a from tx' }));
    });

    it('refuses /messages without a sessionId (400) and with an unknown one (404)', async () => {
      const message = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
      expect((await rawMcp(`${endpoint}/messages`, { body: message, headers: auth })).status).toBe(400);
      expect((await rawMcp(`${endpoint}/messages?sessionId=${randomUUID()}`, { body: message, headers: auth })).status).toBe(404);
    });

    it('forgets the session when the SSE stream closes', async () => {
      const client = await connect('sse');
      const before = gh.gateway.sessions.size;
      await client.close();
      await waitFor(() => gh.gateway.sessions.size === before - 1, 3_000, 'SSE session forgotten');
    });
  });

  describe('gatehouse stdio --profile', () => {
    const cli = join(__dirname, '../../dist/src/api/cli/main.js');

    /** `gatehouse stdio --profile tx` on the test server's data directory, with an SDK client on it. */
    const spawnStdio = async () => {
      if (!existsSync(cli)) throw new Error('dist is missing: run `npm run build` before the e2e tests');
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [GATEHOUSE_BIN, 'stdio', '--profile', 'tx'],
        env: { GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY },
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const client = new Client({ name: 'stdio-test', version: '1.0.0' }, { capabilities: {} });
      clients.push(client);
      await client.connect(transport);
      return { client, pid: transport.pid!, stderr: () => stderr };
    };

    it('serves the profile over stdio, follows config changes, and leaves no process behind', async () => {
      const { client, pid: cliPid, stderr } = await spawnStdio();
      try {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name)).toContain('probe__whoami');
        const { pid: upstreamPid } = JSON.parse(resultText(await client.callTool({ name: 'probe__whoami', arguments: {} }))) as { pid: number };
        expect(isPidRunning(upstreamPid)).toBe(true);

        // A REST change made by the server process reaches the stdio process through the log.
        const changes = new NotificationLog(client, ToolListChangedNotificationSchema);
        const mark = changes.mark();
        expect((await gh.api('PATCH', '/api/profiles/tx/tools/probe/stats', { status: 'inactive' })).status).toBe(200);
        await changes.next(3_000, undefined, mark);
        expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('probe__stats');
        await expect(client.callTool({ name: 'probe__stats', arguments: {} })).rejects.toThrow(/unknown tool|probe__stats/i);
        expect((await gh.api('PATCH', '/api/profiles/tx/tools/probe/stats', { status: 'active' })).status).toBe(200);

        await client.close();
        await waitFor(() => !isPidRunning(cliPid) && !isPidRunning(upstreamPid), 5_000, 'stdio CLI and its upstream exit');
      } catch (error) {
        throw new Error(`${(error as Error).message}\nCLI stderr:\n${stderr()}`);
      }
    });

    it('does not expire the stdio session while its process runs, however idle', async () => {
      await patchSettings(gh, { sessionIdleTimeoutMs: 1_000 });
      try {
        const { client, stderr } = await spawnStdio();
        expect((await client.listTools()).tools.length).toBeGreaterThan(0);
        // No event marks "a sweep ran and spared the session": wait past one sweep (every 5 s).
        await new Promise((resolve) => setTimeout(resolve, 6_500));
        const after = await client.listTools(undefined, { timeout: 3_000 }).catch((error: unknown) => new Error(`${String(error)}\nCLI stderr:\n${stderr()}`));
        expect(after).not.toBeInstanceOf(Error);
        await client.close();
      } finally {
        await patchSettings(gh, { sessionIdleTimeoutMs: 30 * 60_000 });
      }
    });
  });
});
