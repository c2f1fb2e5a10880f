import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { request } from 'node:http';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { createProfile, initializeRequest, issueKey, PROBE_SERVER, rawMcp, registerStdioServer, sessionHeaders, waitFor } from '../support/proxy';

/** A raw POST with a Host header of our choosing (fetch does not let a caller set Host). */
const postWithHost = (url: string, host: string, body: unknown, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(payload), ...headers },
        timeout: 5_000,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });

describe('MCP endpoint security: Host/Origin validation and API keys', () => {
  let gh: TestGatehouse;
  let ownKey: string;
  let otherKey: string;
  let anyKey: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    gh = await startTestGatehouse();
    await registerStdioServer(gh, 'probe', PROBE_SERVER, ['--label', 'sec']);
    await createProfile(gh, 'locked', ['probe']);
    await createProfile(gh, 'other', ['probe']);
    await createProfile(gh, 'open', ['probe'], { auth: { apiKey: false } });
    ownKey = await issueKey(gh, ['locked'], 'own');
    otherKey = await issueKey(gh, ['other'], 'other');
    anyKey = await issueKey(gh, ['*'], 'any');
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
  });

  const keep = (client: Client): Client => (clients.push(client), client);

  describe('DNS-rebinding protection', () => {
    it('refuses a foreign Origin with 403', async () => {
      const response = await rawMcp(`${gh.url}/mcp/open`, { body: initializeRequest(), headers: { origin: 'http://evil.example' } });
      expect(response.status).toBe(403);
      expect(response.json?.error).toEqual(expect.objectContaining({ message: expect.stringMatching(/origin/i) }));
    });

    it('refuses a foreign Host with 403', async () => {
      const response = await postWithHost(`${gh.url}/mcp/open`, `evil.example:${gh.port}`, initializeRequest());
      expect(response.status).toBe(403);
      expect(response.body).toMatch(/host/i);
    });

    it('refuses a foreign Host on the SSE endpoint too', async () => {
      const response = await postWithHost(`${gh.url}/mcp/open/messages?sessionId=x`, `evil.example:${gh.port}`, { jsonrpc: '2.0', id: 1, method: 'ping' });
      expect(response.status).toBe(403);
    });

    it('accepts a loopback Origin and Host', async () => {
      const response = await rawMcp(`${gh.url}/mcp/open`, { body: initializeRequest(), headers: { origin: `http://localhost:${gh.port}` } });
      expect(response.status).toBe(200);
      const viaLocalhost = await postWithHost(`${gh.url}/mcp/open`, `localhost:${gh.port}`, initializeRequest());
      expect(viaLocalhost.status).toBe(200);
    });
  });

  describe('API keys', () => {
    it('refuses a request without a key with 401 and WWW-Authenticate', async () => {
      const response = await rawMcp(`${gh.url}/mcp/locked`, { body: initializeRequest() });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(response.json?.error).toEqual(expect.objectContaining({ code: expect.any(Number) }));
    });

    it('refuses an unknown key with 401', async () => {
      const response = await rawMcp(`${gh.url}/mcp/locked`, { body: initializeRequest(), headers: { authorization: 'Bearer gh_not_a_real_key' } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    });

    it('refuses the key of another profile with 403', async () => {
      const response = await rawMcp(`${gh.url}/mcp/locked`, { body: initializeRequest(), headers: { authorization: `Bearer ${otherKey}` } });
      expect(response.status).toBe(403);
      await expect(connectClient(gh.url, 'locked', { key: otherKey })).rejects.toThrow();
    });

    it('accepts the profile key (Bearer or X-API-Key) and a "*" key', async () => {
      const own = keep(await connectClient(gh.url, 'locked', { key: ownKey }));
      expect((await own.listTools()).tools.length).toBeGreaterThan(0);
      const wildcard = keep(await connectClient(gh.url, 'locked', { key: anyKey }));
      expect((await wildcard.listTools()).tools.length).toBeGreaterThan(0);
      const viaHeader = await rawMcp(`${gh.url}/mcp/locked`, { body: initializeRequest(), headers: { 'x-api-key': ownKey } });
      expect(viaHeader.status).toBe(200);
    });

    it('does not take the key from the query string unless the profile allows it', async () => {
      const response = await rawMcp(`${gh.url}/mcp/locked?api_key=${encodeURIComponent(ownKey)}`, { body: initializeRequest() });
      expect(response.status).toBe(401);
    });

    it('opens a profile with auth.apiKey=false without a key', async () => {
      const client = keep(await connectClient(gh.url, 'open'));
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('probe__whoami');
    });

    it('checks the key on every request of a session, not only on initialize', async () => {
      const init = await rawMcp(`${gh.url}/mcp/locked`, { body: initializeRequest(), headers: { authorization: `Bearer ${ownKey}` } });
      const sessionId = init.headers.get('mcp-session-id')!;
      const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
      expect((await rawMcp(`${gh.url}/mcp/locked`, { body: list, headers: sessionHeaders(sessionId) })).status).toBe(401);
      expect((await rawMcp(`${gh.url}/mcp/locked`, { body: list, headers: sessionHeaders(sessionId, { authorization: `Bearer ${otherKey}` }) })).status).toBe(403);
    });

    it('revoking a key closes its sessions and refuses it from then on', async () => {
      const created = await gh.api('POST', '/api/keys', { name: 'short-lived', profiles: ['locked'] });
      const client = keep(await connectClient(gh.url, 'locked', { key: created.body.key }));
      await client.listTools();
      const sessionCount = gh.gateway.sessions.size;
      expect((await gh.api('DELETE', `/api/keys/${created.body.id}`)).status).toBeLessThan(300);
      await waitFor(() => gh.gateway.sessions.size === sessionCount - 1, 3_000, 'session of the revoked key closed');
      const response = await rawMcp(`${gh.url}/mcp/locked`, { body: initializeRequest(), headers: { authorization: `Bearer ${created.body.key}` } });
      expect(response.status).toBe(401);
    });

    it('answers an unknown profile with 404', async () => {
      const response = await rawMcp(`${gh.url}/mcp/no-such-profile`, { body: initializeRequest(), headers: { authorization: `Bearer ${anyKey}` } });
      expect(response.status).toBe(404);
    });
  });
});
