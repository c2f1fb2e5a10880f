import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import {
  childPids, commandLine, createProfile, patchSettings, PROBE_SERVER, rawMcp, rawSession, registerStdioServer, resultText, runtimeOf,
  sessionHeaders, waitFor,
} from '../support/proxy';

const SESSIONS = 200;
const CONCURRENCY = 10;

describe('MCP proxy downstream sessions', () => {
  let gh: TestGatehouse;
  let endpoint: string;

  /** Upstream processes of the `counted` server that are children of this (gateway) process. */
  const countedChildren = (): number[] => childPids().filter((pid) => commandLine(pid).includes('--label counted'));

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'counted', PROBE_SERVER, ['--label', 'counted']);
    await createProfile(gh, 'sessions', ['counted'], { auth: { apiKey: false } });
    endpoint = `${gh.url}/mcp/sessions`;
  });
  afterAll(async () => {
    await gh.stop();
  });

  it(`${SESSIONS} sessions opened and closed share one upstream process and leave none behind`, async () => {
    const baseline = gh.gateway.sessions.size;
    const seenPids = new Set<number>();
    let mostAtOnce = 0;
    const sample = async (): Promise<void> => {
      const runtimePids = (await runtimeOf(gh, 'counted')).pids;
      const children = countedChildren();
      runtimePids.forEach((pid) => seenPids.add(pid));
      children.forEach((pid) => seenPids.add(pid));
      mostAtOnce = Math.max(mostAtOnce, runtimePids.length, children.length);
    };

    const oneSession = async (index: number): Promise<void> => {
      const client: Client = await connectClient(gh.url, 'sessions');
      try {
        const { pid } = JSON.parse(resultText(await client.callTool({ name: 'counted__whoami', arguments: {} }))) as { pid: number };
        seenPids.add(pid);
        // Half end their session explicitly (DELETE), half just go away.
        if (index % 2 === 0) await (client.transport as StreamableHTTPClientTransport).terminateSession();
      } finally {
        await client.close();
      }
    };

    for (let start = 0; start < SESSIONS; start += CONCURRENCY) {
      await Promise.all(Array.from({ length: CONCURRENCY }, (_, offset) => oneSession(start + offset)));
      await sample();
    }

    expect(mostAtOnce).toBe(1);
    expect(seenPids.size).toBe(1);
    const [pid] = [...seenPids];
    expect(countedChildren()).toEqual([pid]);
    expect((await runtimeOf(gh, 'counted')).pids).toEqual([pid]);
    // Sessions ended with DELETE are gone; the others wait for the idle sweep (next test).
    expect(gh.gateway.sessions.size - baseline).toBeLessThanOrEqual(SESSIONS / 2);
  });

  it('expires idle sessions (404 afterwards) while active ones live on', async () => {
    await patchSettings(gh, { sessionIdleTimeoutMs: 1_000 });
    const idle = await rawSession(endpoint);
    const busy = await connectClient(gh.url, 'sessions');
    const busyId = (busy.transport as StreamableHTTPClientTransport).sessionId!;
    const list = { jsonrpc: '2.0', id: 99, method: 'tools/list' };
    let keepAlive = true;
    const pinging = (async () => {
      while (keepAlive) {
        await busy.ping();
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    try {
      // The sweeper runs every 5 s: an idle session is gone within timeout + two sweeps. Polling
      // over HTTP would itself be activity, so watch the gateway's table, then ask once.
      await waitFor(() => !gh.gateway.sessions.has(idle), 12_000, 'idle session expired', 100);
      expect((await rawMcp(endpoint, { body: list, headers: sessionHeaders(idle) })).status).toBe(404);
      expect(gh.gateway.sessions.has(busyId)).toBe(true);
      expect((await busy.listTools()).tools.map((tool) => tool.name)).toContain('counted__whoami');
      // The sessions the previous test left open (no DELETE) were idle too.
      expect(gh.gateway.sessions.size).toBe(1);
    } finally {
      keepAlive = false;
      await pinging.catch(() => undefined);
      await busy.close();
      await patchSettings(gh, { sessionIdleTimeoutMs: 30 * 60_000 });
    }
  });
});
