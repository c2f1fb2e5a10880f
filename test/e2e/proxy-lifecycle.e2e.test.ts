import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { fixtureServer } from '../fixtures/upstream-fixtures';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { clientPool } from '../support/mcp-client';
import { createProfile, isPidRunning, patchSettings, PROBE_SERVER, registerStdioServer, resultText, runtimeOf, waitFor } from '../support/proxy';

const OPEN = { auth: { apiKey: false } };
const HUNG = fixtureServer('hung-server.js');

const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
};

describe('MCP proxy upstream lifecycle', () => {
  let gh: TestGatehouse;
  const { open, closeAll } = clientPool(() => gh.url);
  const toolNames = async (client: Client): Promise<string[]> => (await client.listTools()).tools.map((tool) => tool.name);

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await patchSettings(gh, { requestTimeoutMs: 1_000 });
    await registerStdioServer(gh, 'good', PROBE_SERVER, ['--label', 'good']);
    await registerStdioServer(gh, 'hanglist', HUNG, ['--hang-on', 'tools/list']);
    await registerStdioServer(gh, 'hanginit', HUNG);
    await registerStdioServer(gh, 'hangcall', HUNG, ['--hang-on', 'tools/call']);
    await registerStdioServer(gh, 'crashy', fixtureServer('crash-server.js'));
    await registerStdioServer(gh, 'family', fixtureServer('spawning-server.js'), ['--ignore-sigterm']);
    await createProfile(gh, 'slowlist', ['hanglist', 'good'], OPEN);
    await createProfile(gh, 'slowinit', ['hanginit', 'good'], OPEN);
    await createProfile(gh, 'slowcall', ['hangcall', 'good'], OPEN);
    await createProfile(gh, 'crash', ['crashy'], OPEN);
    await createProfile(gh, 'family', ['family'], OPEN);
    // The working server is up before the fail-open cases shorten the connect timeout to 1 s,
    // which only the hung servers are meant to miss.
    await createProfile(gh, 'warm', ['good'], OPEN);
    expect(await toolNames(await open('warm'))).toContain('good__whoami');
    await patchSettings(gh, { connectTimeoutMs: 1_000 });
  });
  afterAll(async () => {
    await closeAll();
    await gh.stop();
  });

  describe('fail-open fan-out', () => {
    it.each([
      ['a server that never answers tools/list', 'slowlist'],
      ['a server that never answers initialize', 'slowinit'],
    ])('lists the other servers’ tools despite %s, within the connect timeout, and later lists fast', async (_what, slug) => {
      const client = await open(slug);
      const first = await timed(() => toolNames(client));
      expect(first.value).toEqual(expect.arrayContaining(['good__whoami']));
      expect(first.value.some((name) => name.startsWith('hang'))).toBe(false);
      expect(first.ms).toBeLessThan(2_500);
      const second = await timed(() => toolNames(client));
      expect(second.value).toContain('good__whoami');
      expect(second.ms).toBeLessThan(500);
      const other = await open(slug);
      const third = await timed(() => toolNames(other));
      expect(third.ms).toBeLessThan(500);
      // The working server stays usable.
      expect(JSON.parse(resultText(await client.callTool({ name: 'good__whoami', arguments: {} })))).toEqual(expect.objectContaining({ label: 'good' }));
    });

    it('does not wait again for a hung server while it reconnects after its failed connect', async () => {
      await registerStdioServer(gh, 'hangagain', HUNG);
      await createProfile(gh, 'again', ['hangagain', 'good'], OPEN);
      await patchSettings(gh, { connectTimeoutMs: 2_000 });
      try {
        const client = await open('again');
        expect(await toolNames(client)).toContain('good__whoami');
        // Its connect fails after 2 s; the supervisor tries again after its backoff, for 2 s more.
        await waitFor(async () => {
          const runtime = await runtimeOf(gh, 'hangagain');
          return runtime.restarts >= 1 && runtime.status === 'connecting';
        }, 15_000, 'the hung server connecting again');
        const during = await timed(() => toolNames(client));
        expect(during.value).toContain('good__whoami');
        expect(during.value.some((name) => name.startsWith('hangagain'))).toBe(false);
        expect(during.ms).toBeLessThan(1_000);
      } finally {
        await patchSettings(gh, { connectTimeoutMs: 1_000 });
      }
    });

    it('applies a changed connectTimeoutMs to upstream connects (runtime shows the timeout)', async () => {
      await toolNames(await open('slowinit'));
      const runtime = await waitFor(async () => {
        const current = await runtimeOf(gh, 'hanginit');
        return current.lastError !== null && current;
      }, 3_000, 'runtime.lastError of the hung server');
      expect(runtime.lastError?.message).toMatch(/hanginit/);
    });
  });

  // The tests below start servers that are meant to come up: the 1 s connect timeout the
  // fail-open cases need is too short for a node process to spawn and initialise on a loaded
  // CI machine (seen: hangcall, crashy and family each missing from their first list).
  describe('with a connect timeout servers can meet under load', () => {
    beforeAll(() => patchSettings(gh, { connectTimeoutMs: 15_000 }));

    it('a request that exceeds requestTimeoutMs is a JSON-RPC error naming the server', async () => {
      const client = await open('slowcall');
      expect(await toolNames(client)).toContain('hangcall__noop');
      const started = Date.now();
      const error = await client.callTool({ name: 'hangcall__noop', arguments: {} }).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(ErrorCode.RequestTimeout);
      expect((error as McpError).message).toMatch(/hangcall/);
      expect(Date.now() - started).toBeLessThan(3_000);
      // The other server of the profile is unaffected.
      expect(JSON.parse(resultText(await client.callTool({ name: 'good__whoami', arguments: {} })))).toEqual(expect.objectContaining({ label: 'good' }));
    });

    it('restarts a crashed stdio server and shows it in the runtime (restarts, lastError, stderrTail)', async () => {
      const client = await open('crash');
      const first = resultText(await client.callTool({ name: 'crashy__echo', arguments: { message: 'before' } }));
      const firstPid = Number(/pid (\d+)/.exec(first)?.[1]);
      expect(isPidRunning(firstPid)).toBe(true);

      // The server dies under the call: the model gets a tool error naming the server, not a protocol error.
      const crash = await client.callTool({ name: 'crashy__crash', arguments: {} });
      expect(crash.isError).toBe(true);
      expect(resultText(crash)).toMatch(/cannot run now: its server "crashy" is unavailable/);

      const runtime = await waitFor(async () => {
        const current = await runtimeOf(gh, 'crashy');
        return current.restarts >= 1 && current.status === 'ready' && current;
      }, 10_000, 'crashed server restarted');
      expect(runtime.lastError).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.stringMatching(/crashy/) }));
      expect(runtime.stderrTail).toContain('crash tool called');
      expect(runtime.pids).toHaveLength(1);
      expect(runtime.pids[0]).not.toBe(firstPid);

      const after = resultText(await client.callTool({ name: 'crashy__echo', arguments: { message: 'after' } }));
      expect(after).toContain('echo: after');
      expect(after).toContain(`pid ${runtime.pids[0]}`);
    });

    it('ends the whole process group of a removed server, even children that ignore SIGTERM', async () => {
      const client = await open('family');
      const family = JSON.parse(resultText(await client.callTool({ name: 'family__family', arguments: {} }))) as { pid: number; grandchildPid: number };
      expect(isPidRunning(family.pid) && isPidRunning(family.grandchildPid)).toBe(true);
      expect((await gh.api('DELETE', '/api/servers/family')).status).toBe(204);
      await waitFor(() => !isPidRunning(family.pid) && !isPidRunning(family.grandchildPid), 6_000, 'server and grandchild gone');
    });
  });
});
