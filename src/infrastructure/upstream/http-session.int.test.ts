import net from 'node:net';
import {
  fixtureServer,
  httpSpec,
  startEverythingHttp,
  startHttpServer,
  textOf,
  waitForHealth,
  type RunningHttpServer,
} from '../../../test/fixtures/upstream-fixtures';
import { UpstreamSupervisor } from '.';

type FixtureStats = { sessions: number; initializeCount: number };

const FAST = fixtureServer('fast-server.js');

describe('a Streamable HTTP upstream', () => {
  let server: RunningHttpServer;
  let supervisor: UpstreamSupervisor;

  const stats = async (): Promise<FixtureStats> =>
    (await (await fetch(`${server.baseUrl}/__fixture/stats`)).json()) as FixtureStats;
  const fixtureCommand = async (command: 'drop-sessions' | 'reject-sessions'): Promise<void> => {
    const response = await fetch(`${server.baseUrl}/__fixture/${command}`, { method: 'POST' });
    expect(response.ok).toBe(true);
  };
  const echo = async (message: string) =>
    textOf(await supervisor.callTool({ name: 'echo', arguments: { message } }));

  beforeAll(async () => {
    server = await startHttpServer([FAST, '--http', '0']);
    supervisor = new UpstreamSupervisor(
      httpSpec(`${server.baseUrl}/mcp`, 'streamable_http', {
        name: 'fast',
        headers: { 'X-Gatehouse-Test': 'yes', authorization: 'Basic overridden' },
        bearerToken: 'tok-123',
      }),
      { connectTimeoutMs: 5000 },
    );
  });

  afterAll(async () => {
    try {
      await supervisor?.close();
    } finally {
      await server?.stop();
    }
  });

  it('sends the configured headers and the bearer token on every request', async () => {
    const headers = JSON.parse(
      textOf(await supervisor.callTool({ name: 'get_request_headers', arguments: {} })),
    ) as Record<string, string>;

    expect(headers.authorization).toBe('Bearer tok-123');
    expect(headers['x-gatehouse-test']).toBe('yes');
  });

  it('re-initialises once and retries when the upstream forgot the session', async () => {
    const before = await stats();

    await fixtureCommand('drop-sessions');
    const reply = await echo('still there?');

    expect(reply).toBe('still there?');
    expect((await stats()).initializeCount).toBe(before.initializeCount + 1);
  });

  it('shares one re-initialisation among concurrent requests', async () => {
    const before = await stats();

    await fixtureCommand('drop-sessions');
    const replies = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(echo));

    expect(replies).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect((await stats()).initializeCount).toBe(before.initializeCount + 1);
  });

  it('gives up after one retry when the new session is rejected too', async () => {
    const before = await stats();

    await fixtureCommand('reject-sessions');

    await expect(echo('nobody home')).rejects.toMatchObject({
      code: 'UPSTREAM_SESSION_EXPIRED',
      message: expect.stringContaining('upstream "fast"'),
    });
    expect((await stats()).initializeCount).toBe(before.initializeCount + 1);
  });
});

describe('an HTTP upstream that is not listening', () => {
  it('fails fast as unavailable and is marked unhealthy', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const supervisor = new UpstreamSupervisor(httpSpec(`http://127.0.0.1:${port}/mcp`, 'streamable_http', { name: 'gone' }), {
      connectTimeoutMs: 5000,
      backoff: { initialDelayMs: 60_000 },
    });
    try {
      await expect(supervisor.listTools()).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        message: expect.stringContaining('upstream "gone"'),
      });
      expect(supervisor.health().status).toBe('unhealthy');
    } finally {
      await supervisor.close();
    }
  });

  it('rejects a spec without a usable url as misconfigured, without retrying', async () => {
    const supervisor = new UpstreamSupervisor(httpSpec('ftp://example.invalid/mcp', 'sse', { name: 'odd' }));
    try {
      await expect(supervisor.connect()).rejects.toMatchObject({ code: 'UPSTREAM_MISCONFIGURED' });
      expect(supervisor.health()).toMatchObject({ status: 'unhealthy', nextAttemptAt: null });
    } finally {
      await supervisor.close();
    }
  });
});

describe('a legacy SSE upstream that goes away', () => {
  it('has its connection replaced after a failed request, with backoff', async () => {
    const server = await startEverythingHttp('sse');
    const supervisor = new UpstreamSupervisor(httpSpec(`${server.baseUrl}/sse`, 'sse', { name: 'old-sse' }), {
      backoff: { initialDelayMs: 60_000 },
    });
    try {
      await supervisor.ping();
      await server.stop();

      await expect(supervisor.ping()).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
      const health = await waitForHealth(supervisor, (current) => current.status === 'restarting', 1000);

      expect(health.nextAttemptAt).not.toBeNull();
      await expect(supervisor.ping()).rejects.toMatchObject({ message: expect.stringContaining('restarting') });
    } finally {
      await supervisor.close();
      await server.stop();
    }
  });
});
