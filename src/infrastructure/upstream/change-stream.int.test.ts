/**
 * A 2026-07-28 upstream whose change stream (`subscriptions/listen`) will not open: the
 * connection serves its calls all the same, says so in the gateway's log (the server's id, the
 * attempt, when it tries again, why; nothing of the spec), and tries again after a pause that
 * grows. The conformance fixture (v2) on loopback, behind a node:http front that passes every
 * request on to it except `subscriptions/listen`, which it refuses with a JSON-RPC error.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixtureServer, httpSpec, startHttpServer, textOf, within, type RunningHttpServer } from '../../../test/fixtures/upstream-fixtures';
import { UpstreamSupervisor } from '.';
import { MODERN_UPSTREAM_VERSION } from './modern-connection';

const SECRET = 'change-stream-secret-3f9a1c';
const REFUSAL = 'change streams are switched off here';

type Front = Readonly<{ url: string; listens: () => number; close: () => Promise<void> }>;

/** Passes every request on to `upstream` as it is, except a `subscriptions/listen`, answered with a JSON-RPC error. */
const refusingListen = async (upstream: RunningHttpServer): Promise<Front> => {
  let listens = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let message: { id?: unknown; method?: unknown } = {};
    try {
      message = JSON.parse(body.toString('utf8')) as typeof message;
    } catch {
      // A GET or DELETE has no body: passed on.
    }
    if (req.method === 'POST' && message.method === 'subscriptions/listen') {
      listens += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: REFUSAL } }));
      return;
    }
    const forwarded = request({ host: '127.0.0.1', port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    res.once('close', () => forwarded.destroy());
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    listens: () => listens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

describe('a 2026-07-28 upstream whose change stream will not open', () => {
  let upstream: RunningHttpServer;
  let front: Front;

  beforeAll(async () => {
    upstream = await startHttpServer([fixtureServer('conformance-server-v2.js'), '--http', '0']);
    front = await refusingListen(upstream);
  });

  afterAll(async () => {
    await front?.close();
    await upstream?.stop();
  });

  it('is logged with the server id, the attempt and the pause, never the spec, and tried again after a pause that grows', async () => {
    const warnings: unknown[][] = [];
    const warnedAt: number[] = [];
    let onWarning = (): void => undefined;
    /** Resolves once `count` warnings were logged. */
    const warned = (count: number): Promise<void> =>
      within(new Promise<void>((resolve) => {
        onWarning = () => {
          if (warnings.length >= count) resolve();
        };
        onWarning();
      }), 5_000, `warning ${count}`);
    const spec = httpSpec(front.url, 'streamable_http', { name: 'no-listen', headers: { 'X-Api-Key': SECRET } });
    const supervisor = new UpstreamSupervisor(spec, {
      connectTimeoutMs: 8_000,
      log: (...entry) => {
        warnings.push(entry);
        warnedAt.push(Date.now());
        onWarning();
      },
    });
    try {
      await supervisor.connect();
      expect(supervisor.health()).toMatchObject({ status: 'ready', protocolVersion: MODERN_UPSTREAM_VERSION });

      await warned(1);
      expect(warnings[0]).toEqual([
        'warn',
        'upstream change stream not open; trying again',
        { serverId: spec.id, attempt: 1, retryInMs: 1_000, error: REFUSAL },
      ]);
      // The upstream's calls are served all the same.
      expect(textOf(await supervisor.callTool({ name: 'test_simple_text', arguments: {} }))).toBe('This is a simple text response for testing.');

      // Asked again a second later, and refused again: the next pause is twice as long.
      await warned(2);
      expect(warnings[1]).toEqual([
        'warn',
        'upstream change stream not open; trying again',
        { serverId: spec.id, attempt: 2, retryInMs: 2_000, error: REFUSAL },
      ]);
      expect(front.listens()).toBe(2);
      // The pause is kept, not only said: the second refusal came a second after the first at the least.
      expect(warnedAt[1] - warnedAt[0]).toBeGreaterThanOrEqual(900);
      expect(JSON.stringify(warnings)).not.toContain(SECRET);
    } finally {
      await supervisor.close();
    }
  }, 20_000);
});
