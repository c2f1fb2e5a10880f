import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureServer, startHttpServer, type RunningHttpServer } from '../fixtures/upstream-fixtures';
import { GATEHOUSE_BIN, spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { eventCount, headPosition } from '../support/events';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { expectProblem } from '../support/problem';
import { attach, createProfile, issueKey, patchSettings, resultText, waitFor } from '../support/proxy';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

const ENV_SERVER = fixtureServer('env-server.js');
const FAST_SERVER = fixtureServer('fast-server.js');

describe('upstream URLs: http(s) only, no credentials, and the host allowlist', () => {
  let gh: TestGatehouse;
  let fast: RunningHttpServer;
  let key: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    fast = await startHttpServer([FAST_SERVER, '--http', '0']);
    gh = await startTestGatehouse();
    await createProfile(gh, 'dev', []);
    key = await issueKey(gh, ['dev']);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
    await fast.stop();
  });

  const refusedWithNothingAppended = async (method: string, path: string, body: unknown, code = 'INVALID_SERVER_CONFIG'): Promise<void> => {
    const count = eventCount(gh);
    expectProblem(await gh.api(method, path, body), 400, code);
    expect(eventCount(gh)).toBe(count);
  };

  it.each([
    ['file:///etc/passwd', 'VALIDATION_FAILED'],
    ['gopher://127.0.0.1:70/', 'VALIDATION_FAILED'],
    ['http://admin:hunter2@127.0.0.1:9/mcp', 'INVALID_SERVER_CONFIG'],
  ])('refuses the upstream URL %s', async (url, code) => {
    await refusedWithNothingAppended('POST', '/api/servers', { name: 'bad', transport: 'streamable_http', url }, code);
  });

  it('keeps credentials of a refused URL out of the answer', async () => {
    const response = await gh.api('POST', '/api/servers', { name: 'bad', transport: 'sse', url: 'http://admin:hunter2@127.0.0.1:9/sse' });
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
  });

  describe('with settings.upstreamAllowedHosts', () => {
    let fastId: string;
    /** A position at which `fast` had its current (127.0.0.1) URL. */
    let registeredAt: number;

    beforeAll(async () => {
      const registered = await gh.api('POST', '/api/servers', { name: 'fast', transport: 'streamable_http', url: `${fast.baseUrl}/mcp` });
      expect(registered.status).toBe(201);
      fastId = registered.body.id;
      registeredAt = headPosition(gh);
      await attach(gh, 'dev', 'fast');
    });
    afterAll(async () => {
      await patchSettings(gh, { upstreamAllowedHosts: [] });
    });

    it('refuses to register, reconfigure, revert or import a URL outside the list', async () => {
      await patchSettings(gh, { upstreamAllowedHosts: ['allowed.example'] });
      await refusedWithNothingAppended('POST', '/api/servers', { name: 'elsewhere', transport: 'sse', url: 'https://evil.example/sse' });
      expect((await gh.api('POST', '/api/servers', { name: 'listed', transport: 'sse', url: 'https://ALLOWED.example/sse' })).status).toBe(201);
      await refusedWithNothingAppended('PATCH', '/api/servers/listed', { url: 'http://127.0.0.1:9/sse' });
      expect((await gh.api('PATCH', '/api/servers/fast', { description: 'changed' })).status).toBe(200);
      await refusedWithNothingAppended('POST', `/api/servers/${fastId}/revert`, { to: registeredAt });
      await refusedWithNothingAppended('POST', '/api/import', { mcpServers: { other: { type: 'http', url: 'http://127.0.0.1:9/mcp' } } }, 'IMPORT_INVALID');
      // A change that sets no URL is not affected.
      expect((await gh.api('PATCH', '/api/servers/fast', { description: 'registered before the list' })).status).toBe(200);
    });

    it('refuses to connect outside the list, even for a server registered before, and connects again once listed', async () => {
      await patchSettings(gh, { upstreamAllowedHosts: [] });
      const client = await connectClient(gh.url, 'dev', { key });
      clients.push(client);
      // Settings reach the proxy asynchronously (a batch of committed events): wait for the call to go through.
      await waitFor(async () => {
        try {
          return resultText(await client.callTool({ name: 'fast__echo', arguments: { message: 'before' } })) === 'before';
        } catch {
          return false;
        }
      }, 10_000, 'the call allowed without a list');

      await patchSettings(gh, { upstreamAllowedHosts: ['allowed.example'] });
      await waitFor(async () => {
        try {
          // Refused as the server being unavailable: a tool error that names the setting.
          const result = await client.callTool({ name: 'fast__echo', arguments: { message: 'during' } });
          return result.isError === true && /upstreamAllowedHosts/.test(resultText(result));
        } catch (error) {
          return /upstreamAllowedHosts|not available|unknown tool/i.test(String(error));
        }
      }, 5_000, 'the call refused under the allowlist');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).not.toContain('fast__echo');

      await patchSettings(gh, { upstreamAllowedHosts: ['127.0.0.1'] });
      await waitFor(async () => {
        try {
          return resultText(await client.callTool({ name: 'fast__echo', arguments: { message: 'after' } })) === 'after';
        } catch {
          return false;
        }
      }, 10_000, 'the call allowed again');
    });

    it("asks no host outside the list whether it does OAuth when a server's page is read", async () => {
      const asked: string[] = [];
      const metadataHost = createServer((request, response) => {
        if (request.url?.startsWith('/.well-known/oauth-protected-resource')) {
          asked.push(request.url);
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ resource: `http://127.0.0.1:${(metadataHost.address() as AddressInfo).port}/mcp`, authorization_servers: ['http://127.0.0.1:9'] }));
          return;
        }
        response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => metadataHost.listen(0, '127.0.0.1', resolve));
      try {
        await patchSettings(gh, { upstreamAllowedHosts: [] });
        const url = `http://127.0.0.1:${(metadataHost.address() as AddressInfo).port}/mcp`;
        expect((await gh.api('POST', '/api/servers', { name: 'metadata', transport: 'streamable_http', url })).status).toBe(201);

        await patchSettings(gh, { upstreamAllowedHosts: ['allowed.example'] });
        expect((await gh.api('GET', '/api/servers/metadata')).body.oauth).toMatchObject({ available: false });
        expect(asked).toEqual([]);

        // The same read asks it once it is listed (so the question above was really not asked).
        await patchSettings(gh, { upstreamAllowedHosts: ['127.0.0.1'] });
        expect((await gh.api('GET', '/api/servers/metadata')).body.oauth).toMatchObject({ available: true });
        expect(asked.length).toBeGreaterThan(0);
      } finally {
        await new Promise((resolve) => metadataHost.close(resolve));
      }
    });
  });
});

type EnvReport = { env: Record<string, string>; argv: string[] };

/** What the gateway process has and no upstream may see. */
const GATEWAY_ENV = {
  GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
  GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
  GATEHOUSE_LOG_LEVEL: 'debug',
  AWS_SECRET_ACCESS_KEY: 'gateway-only-aws-secret',
  NODE_OPTIONS: '--max-old-space-size=512',
  DECOY_TOKEN: 'gateway-only-decoy',
};
const ALLOWED_NAMES = new Set(['PATH', 'HOME', 'USER', 'LANG', 'TMPDIR', 'CONFIGURED_TOKEN']);
const MARKER = join(tmpdir(), `gatehouse-shell-marker-${process.pid}`);

const expectOnlyItsOwnEnvironment = (report: EnvReport): void => {
  expect(Object.keys(report.env).filter((name) => !ALLOWED_NAMES.has(name))).toEqual([]);
  expect(report.env.CONFIGURED_TOKEN).toBe('configured-for-the-upstream');
  const text = JSON.stringify(report.env);
  for (const value of Object.values(GATEWAY_ENV)) expect(text).not.toContain(value);
  expect(report.argv).toEqual(['$(touch ' + MARKER + ')', '; touch ' + MARKER, '`touch ' + MARKER + '`', '*']);
  expect(existsSync(MARKER)).toBe(false);
};

describe('a stdio upstream that prints its environment, behind a real gateway process', () => {
  const dir = makeTempDir();
  let child: ChildGatehouse;
  let key: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${child.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    rmSync(MARKER, { force: true });
    child = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dir.path, ...GATEWAY_ENV });
    expect((await api('POST', '/api/servers', {
      name: 'env', transport: 'stdio', command: process.execPath,
      args: [ENV_SERVER, '$(touch ' + MARKER + ')', '; touch ' + MARKER, '`touch ' + MARKER + '`', '*'],
      env: { CONFIGURED_TOKEN: 'configured-for-the-upstream' },
    })).status).toBe(201);
    expect((await api('POST', '/api/profiles', { slug: 'dev' })).status).toBe(201);
    expect((await api('PUT', '/api/profiles/dev/servers/env', { status: 'active' })).status).toBe(201);
    key = (await api('POST', '/api/keys', { name: 'env', profiles: ['dev'] })).body.key as string;
  });
  afterAll(async () => {
    await child.kill('SIGTERM');
    dir.cleanup();
    rmSync(MARKER, { force: true });
  });

  it('sees none of the gateway\'s variables through `gatehouse serve`', async () => {
    const client = await connectClient(child.url, 'dev', { key });
    try {
      expectOnlyItsOwnEnvironment(JSON.parse(resultText(await client.callTool({ name: 'env__get_env', arguments: {} }))) as EnvReport);
    } finally {
      await client.close();
    }
  });

  it('sees none of them through `gatehouse stdio` either', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [GATEHOUSE_BIN, 'stdio', '--profile', 'dev'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GATEHOUSE_DATA_DIR: dir.path, ...GATEWAY_ENV },
      stderr: 'pipe',
    });
    const client = new SdkClient({ name: 'env-stdio', version: '1.0.0' });
    await client.connect(transport);
    try {
      expectOnlyItsOwnEnvironment(JSON.parse(resultText(await client.callTool({ name: 'env__get_env', arguments: {} }))) as EnvReport);
    } finally {
      await client.close();
    }
  });

  it('runs `command` without a shell: metacharacters are part of the file name', async () => {
    expect((await api('POST', '/api/servers', { name: 'shelly', transport: 'stdio', command: `touch ${MARKER}; node` })).status).toBe(201);
    expect((await api('PUT', '/api/profiles/dev/servers/shelly', { status: 'active' })).status).toBe(201);
    const client = await connectClient(child.url, 'dev', { key });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('env__get_env');
    } finally {
      await client.close();
    }
    expect(existsSync(MARKER)).toBe(false);
  });
});
