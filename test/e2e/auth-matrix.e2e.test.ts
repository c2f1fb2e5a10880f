import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { spawn } from 'node:child_process';
import { GATEHOUSE_BIN } from '../support/child-gatehouse';
import { eventCount } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import {
  NO_CREDENTIAL, openStream, openStreamableSession, postStatus, requestStatus, sessionHeaders, timeUntil, withCredential, type Credential,
} from '../support/mcp-streams';
import { createProfile, initializeRequest, PROBE_SERVER, registerStdioServer } from '../support/proxy';
import { TEST_SECRET_KEY } from '../support/temp-dir';

/** Revocation and expiry must reach open sessions within this long. */
const PROPAGATION_LIMIT_MS = 1_000;
const TOOLS_LIST = { jsonrpc: '2.0', id: 7, method: 'tools/list' };

type Expected = 'ok' | 401 | 403;
type Row = [label: string, slug: 'alpha' | 'beta', credential: () => Credential, expected: Expected];

describe('authorization matrix of the MCP endpoints (every transport)', () => {
  let gh: TestGatehouse;
  const keys: Record<string, { id: string; key: string; expiresAt?: string }> = {};
  const issue = async (name: string, profiles: string[], expiresAt?: string): Promise<void> => {
    const response = await gh.api('POST', '/api/keys', { name, profiles, ...(expiresAt ? { expiresAt } : {}) });
    if (response.status !== 201) throw new Error(`issue ${name}: ${response.status} ${JSON.stringify(response.body)}`);
    keys[name] = { id: response.body.id, key: response.body.key, expiresAt };
  };
  const key = (name: string): string => keys[name].key;
  const url = (slug: string, path = ''): string => `${gh.url}/mcp/${slug}${path}`;

  beforeAll(async () => {
    // This file makes far more than 20 failed attempts on purpose; the limiter has its own test.
    gh = await startTestGatehouse({ GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '100000' });
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'matrix']);
    await createProfile(gh, 'alpha', ['probe']);
    await createProfile(gh, 'beta', ['probe'], { auth: { apiKey: true, queryParam: true } });
    await createProfile(gh, 'gamma', ['probe']);
    await issue('expired', ['alpha', 'beta'], new Date(Date.now() + 1_500).toISOString());
    await issue('alpha', ['alpha']);
    await issue('beta', ['beta']);
    await issue('gamma', ['gamma']);
    await issue('star', ['*']);
    await issue('revoked', ['alpha', 'beta']);
    expect((await gh.api('DELETE', `/api/keys/${keys.revoked.id}`)).status).toBe(204);
    // Discover the tools once, so that listing them later appends nothing.
    const client = await connectClient(gh.url, 'alpha', { key: key('alpha') });
    await client.listTools();
    await client.close();
    await timeUntil(() => Date.now() > Date.parse(keys.expired.expiresAt as string) + 20, 5_000, 'the short-lived key expired');
  });
  afterAll(async () => {
    await gh.stop();
  });

  const ROWS: Row[] = [
    ['no key', 'alpha', () => NO_CREDENTIAL, 401],
    ['an unknown key', 'alpha', () => ({ bearer: `gh_${'A'.repeat(43)}` }), 401],
    ['the profile key in a Basic Authorization header', 'alpha', () => ({ authorization: `Basic ${Buffer.from(`${key('alpha')}:`).toString('base64')}` }), 401],
    ["another profile's key", 'alpha', () => ({ bearer: key('gamma') }), 403],
    ['the profile key as Bearer', 'alpha', () => ({ bearer: key('alpha') }), 'ok'],
    ['the profile key as X-API-Key', 'alpha', () => ({ xApiKey: key('alpha') }), 'ok'],
    ['a "*" key', 'alpha', () => ({ bearer: key('star') }), 'ok'],
    ['a revoked key', 'alpha', () => ({ bearer: key('revoked') }), 401],
    ['an expired key', 'alpha', () => ({ xApiKey: key('expired') }), 401],
    ['the profile key in ?api_key= when the profile does not allow it', 'alpha', () => ({ query: key('alpha') }), 401],
    ['the profile key in ?api_key=', 'beta', () => ({ query: key('beta') }), 'ok'],
    ['a "*" key in ?api_key=', 'beta', () => ({ query: key('star') }), 'ok'],
    ['the profile key as Bearer on a query-param profile', 'beta', () => ({ bearer: key('beta') }), 'ok'],
    ['an unknown key in ?api_key=', 'beta', () => ({ query: 'gh_nope' }), 401],
    ["another profile's key in ?api_key=", 'beta', () => ({ query: key('alpha') }), 403],
    ['a revoked key in ?api_key=', 'beta', () => ({ query: key('revoked') }), 401],
    ['an expired key in ?api_key=', 'beta', () => ({ query: key('expired') }), 401],
  ];

  describe.each(ROWS)('%s on /mcp/%s', (_label, slug, credentialOf, expected) => {
    const ok = expected === 'ok';
    const expect200 = (status: number, success = 200): void => expect(status).toBe(ok ? success : expected);
    let before: number;
    /** Sessions that the tested credential may use: opened with it when it is valid, else with the profile's own key. */
    const opener = (): Credential => (ok ? credentialOf() : { bearer: key(slug) });

    beforeAll(() => {
      before = eventCount(gh);
    });
    afterAll(() => {
      // Neither a refusal nor an accepted MCP request appends to the configuration log.
      expect(eventCount(gh)).toBe(before);
    });

    it('Streamable HTTP: initialize', async () => {
      expect200(await postStatus(url(slug), credentialOf(), initializeRequest()));
    });

    it('Streamable HTTP: a request in a session', async () => {
      const sessionId = await openStreamableSession(url(slug), opener());
      expect200(await postStatus(url(slug), credentialOf(), TOOLS_LIST, sessionHeaders(sessionId)));
    });

    it('Streamable HTTP: the GET stream of a session', async () => {
      const sessionId = await openStreamableSession(url(slug), opener());
      const stream = await openStream(url(slug), credentialOf(), sessionHeaders(sessionId));
      stream.close();
      expect200(stream.status);
    });

    it('Streamable HTTP: DELETE of a session', async () => {
      const sessionId = await openStreamableSession(url(slug), opener());
      expect200(await requestStatus('DELETE', url(slug), credentialOf(), sessionHeaders(sessionId)));
    });

    it('legacy SSE: the event stream', async () => {
      const stream = await openStream(url(slug, '/sse'), credentialOf(), {}, ok);
      stream.close();
      expect200(stream.status);
    });

    it('legacy SSE: the messages POST', async () => {
      const stream = await openStream(url(slug, '/sse'), opener(), {}, true);
      try {
        const endpoint = stream.endpoint as string;
        if (ok) {
          // As a client does it: to the endpoint the server sent (with ?api_key= when that is how it authenticated).
          const headerOnly: Credential = { bearer: credentialOf().bearer, xApiKey: credentialOf().xApiKey };
          expect(await postStatus(endpoint, headerOnly, initializeRequest())).toBe(202);
        } else {
          const bare = new URL(endpoint);
          bare.searchParams.delete('api_key');
          expect(await postStatus(bare.toString(), credentialOf(), initializeRequest())).toBe(expected);
        }
      } finally {
        stream.close();
      }
    });
  });

  it('echoes a query-param key only into the endpoint of the stream that presented it', async () => {
    const viaQuery = await openStream(url('beta', '/sse'), { query: key('beta') }, {}, true);
    const viaHeader = await openStream(url('beta', '/sse'), { bearer: key('beta') }, {}, true);
    viaQuery.close();
    viaHeader.close();
    expect(new URL(viaQuery.endpoint as string).searchParams.get('api_key')).toBe(key('beta'));
    expect(new URL(viaHeader.endpoint as string).searchParams.has('api_key')).toBe(false);
  });

  it('keeps a session to the key that opened it: another valid key cannot join it', async () => {
    const sessionId = await openStreamableSession(url('alpha'), { bearer: key('alpha') });
    expect(await postStatus(url('alpha'), { bearer: key('star') }, TOOLS_LIST, sessionHeaders(sessionId))).toBe(404);
    expect(await postStatus(url('alpha'), { bearer: key('alpha') }, TOOLS_LIST, sessionHeaders(sessionId))).toBe(200);
  });

  it('answers with a JSON-RPC error and WWW-Authenticate, never with the key', async () => {
    const target = withCredential(url('alpha'), { bearer: key('revoked') });
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { ...target.headers, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify(initializeRequest()),
    });
    const text = await response.text();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse"/);
    expect(JSON.parse(text)).toEqual({ jsonrpc: '2.0', id: null, error: { code: expect.any(Number), message: expect.any(String) } });
    expect(text).not.toContain(key('revoked'));
  });

  describe('stdio (`gatehouse stdio --profile`)', () => {
    it('needs no key: running it already takes read access to the data directory', async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [GATEHOUSE_BIN, 'stdio', '--profile', 'alpha'],
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY },
        stderr: 'pipe',
      });
      const client = new Client({ name: 'matrix-stdio', version: '1.0.0' });
      await client.connect(transport);
      try {
        expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('probe__whoami');
      } finally {
        await client.close();
      }
    });
  });

  describe('revocation and expiry reach sessions already open within 1 s', () => {
    type Listeners = { sessionIds: string[]; streams: { ended: Promise<void>; close: () => void }[] };

    /** A Streamable HTTP session with its GET stream open, and a legacy SSE session: clients that only listen. */
    const openListeners = async (slug: string, credential: Credential): Promise<Listeners> => {
      const sessionId = await openStreamableSession(url(slug), credential);
      const getStream = await openStream(url(slug), credential, sessionHeaders(sessionId));
      const sse = await openStream(url(slug, '/sse'), credential, {}, true);
      expect([getStream.status, sse.status]).toEqual([200, 200]);
      const sseSessionId = new URL(sse.endpoint as string).searchParams.get('sessionId') as string;
      return { sessionIds: [sessionId, sseSessionId], streams: [getStream, sse] };
    };

    const closedWithin = async (listeners: Listeners, since: number): Promise<number> => {
      let streamsEnded = false;
      void Promise.all(listeners.streams.map((stream) => stream.ended)).then(() => (streamsEnded = true));
      // Bounded from `since` (a revocation, or an expiry still ahead), not from this call.
      await timeUntil(() => streamsEnded && listeners.sessionIds.every((id) => !gh.gateway.sessions.has(id)), Math.max(0, since - Date.now()) + 5_000, 'sessions closed');
      return Date.now() - since;
    };

    it('revoked through the REST API', async () => {
      await issue('rest-revoked', ['alpha']);
      const listeners = await openListeners('alpha', { bearer: key('rest-revoked') });
      const revokedAt = Date.now();
      expect((await gh.api('DELETE', `/api/keys/${keys['rest-revoked'].id}`)).status).toBe(204);
      expect(await closedWithin(listeners, revokedAt)).toBeLessThanOrEqual(PROPAGATION_LIMIT_MS);
      expect(await postStatus(url('alpha'), { bearer: key('rest-revoked') }, initializeRequest())).toBe(401);
    });

    it('revoked by `gatehouse keys revoke` in another process', async () => {
      await issue('cli-revoked', ['*']);
      const listeners = await openListeners('alpha', { xApiKey: key('cli-revoked') });
      const cli = spawn(process.execPath, [GATEHOUSE_BIN, 'keys', 'revoke', keys['cli-revoked'].id], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GATEHOUSE_DATA_DIR: gh.dataDir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
      const revokedAt = Date.now();
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('revoked API key') });
      expect(await closedWithin(listeners, revokedAt)).toBeLessThanOrEqual(PROPAGATION_LIMIT_MS);
    });

    it('expired while the sessions were open (header and query-param clients alike)', async () => {
      // Time enough to open the six listeners and a client before it expires, also under load;
      // the propagation bound is counted from the expiry, not from here.
      const expiresAt = new Date(Date.now() + 5_000).toISOString();
      await issue('expiring', ['alpha', 'beta'], expiresAt);
      const viaHeader = await openListeners('alpha', { bearer: key('expiring') });
      const viaQuery = await openListeners('beta', { query: key('expiring') });
      const client = await connectClient(gh.url, 'alpha', { key: key('expiring') });
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      const both: Listeners = { sessionIds: [...viaHeader.sessionIds, ...viaQuery.sessionIds], streams: [...viaHeader.streams, ...viaQuery.streams] };
      expect(await closedWithin(both, Date.parse(expiresAt))).toBeLessThanOrEqual(PROPAGATION_LIMIT_MS);
      await expect(client.listTools()).rejects.toThrow();
      await client.close().catch(() => undefined);
      expect(await postStatus(url('beta'), { query: key('expiring') }, initializeRequest())).toBe(401);
    });
  });
});
