import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureServer, startHttpServer, type RunningHttpServer } from '../fixtures/upstream-fixtures';
import { startTestGatehouse, type ApiResponse, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { expectProblem } from '../support/problem';
import { signedInMemberWithKey, type SessionClient } from '../support/session-client';

jest.setTimeout(120_000);

/**
 * A credential under a plain name with a plain-looking value: the rule that guesses secrets
 * (isSecretHeader) takes it for configuration, so only the `secret` flag keeps it off a per-user
 * connection.
 */
const CUSTOMER_KEY = 'northwind-042-orchard';
const USER_TOKEN = 'ann-own-upstream-token-5c6d7e8f';
const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

type Seen = { tokenSha256: string; headers?: Record<string, string> };

describe('secret headers: a header declared secret is sealed, masked and never sent on a per-user connection', () => {
  let gh: TestGatehouse;
  let upstream: RunningHttpServer;
  let ann: SessionClient;
  let client: Client;
  const logLines: string[] = [];
  const answers: string[] = [];
  const kept = (response: ApiResponse): ApiResponse => {
    answers.push(JSON.stringify(response.body));
    return response;
  };
  const headersSeen = async (server: string): Promise<Record<string, string> | undefined> => {
    const result = (await client.callTool({ name: `${server}__whoami`, arguments: {} })) as { isError?: boolean; content: { text: string }[] };
    expect(result.isError).toBeFalsy();
    return (JSON.parse(result.content[0].text) as Seen).headers;
  };
  const headers = { 'X-Tenant': 'acme', 'X-Customer': { value: CUSTOMER_KEY, secret: true } };

  beforeAll(async () => {
    upstream = await startHttpServer([fixtureServer('whoami-server.js')]);
    gh = await startTestGatehouse({ GATEHOUSE_LOG_LEVEL: 'debug' }, { write: (line) => void logLines.push(line) });
    const url = `${upstream.baseUrl}/mcp`;
    expect(kept(await gh.api('POST', '/api/servers', { name: 'mine', transport: 'streamable_http', url, headers, credentials: 'per_user' })).status).toBe(201);
    expect(kept(await gh.api('POST', '/api/servers', { name: 'ours', transport: 'streamable_http', url, headers, bearerToken: 'shared-token-1a2b3c4d5e' })).status).toBe(201);
    expect((await gh.api('POST', '/api/profiles', { slug: 'team', debugLogging: true })).status).toBe(201);
    for (const server of ['mine', 'ours']) {
      expect((await gh.api('PUT', `/api/profiles/team/servers/${server}`, { status: 'active' })).status).toBeLessThan(300);
      expect((await gh.api('PUT', `/api/servers/${server}/access`, { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] })).status).toBe(200);
    }
    expect((await gh.api('PUT', '/api/profiles/team/access', { owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] })).status).toBe(200);
    const member = await signedInMemberWithKey(gh, 'ann', 'a long enough password 42', ['team']);
    ann = member.person;
    expect((await ann.write('PUT', '/api/servers/mine/credentials', { bearerToken: USER_TOKEN })).status).toBe(200);
    client = await connectClient(gh.url, 'team', { key: member.key });
  });

  afterAll(async () => {
    await client?.close();
    await gh?.stop();
    await upstream?.stop();
  });

  it('shows which headers are secret, every header value masked', async () => {
    const read = kept(await gh.api('GET', '/api/servers/mine'));
    expect(read.body.headersSecret).toEqual(['X-Customer']);
    expect(read.body.headers['X-Customer']).toBe(`••••${CUSTOMER_KEY.slice(-4)}`);
    expect(read.body.headers['X-Tenant']).toMatch(/^••••/);
  });

  it('sends the secret header on the shared connection but not on the per-user one, where the plain one still goes', async () => {
    expect(await headersSeen('ours')).toEqual({ 'x-tenant': sha256('acme'), 'x-customer': sha256(CUSTOMER_KEY) });
    expect(await headersSeen('mine')).toEqual({ 'x-tenant': sha256('acme') });
  });

  it('refuses bad secret-header input with a 400 problem and changes nothing', async () => {
    const before = (await gh.api('GET', '/api/servers/mine')).body.version;
    expectProblem(kept(await gh.api('PATCH', '/api/servers/mine', { headers: { 'X-Customer': { value: 'x', secret: 'yes' } } })), 400, 'VALIDATION_FAILED');
    expectProblem(kept(await gh.api('PATCH', '/api/servers/mine', { headers: { 'X-Customer': { value: 'x' } } })), 400, 'VALIDATION_FAILED');
    expectProblem(kept(await gh.api('PATCH', '/api/servers/mine', { headers: { 'X-Customer': { value: 'x', secret: true, extra: 1 } } })), 400, 'VALIDATION_FAILED');
    expectProblem(kept(await gh.api('PATCH', '/api/servers/mine', { headers: { 'Bad Name': { value: 'x', secret: true } } })), 400, 'INVALID_SERVER_CONFIG');
    expectProblem(kept(await gh.api('PATCH', '/api/servers/mine', { headers: { 'X-New': { value: '••••abcd', secret: true } } })), 400, 'INVALID_SERVER_CONFIG');
    expectProblem(kept(await gh.api('PATCH', '/api/servers/mine', { headers: { 'X-Customer': { value: 'a\r\nX-Forged: 1', secret: true } } })), 400, 'INVALID_SERVER_CONFIG');
    expect((await gh.api('GET', '/api/servers/mine')).body.version).toBe(before);
  });

  it('keeps the flag for what GET showed sent back, and exports it so that an import keeps it', async () => {
    const read = (await gh.api('GET', '/api/servers/mine')).body;
    const patched = kept(await gh.api('PATCH', '/api/servers/mine', { headers: read.headers, description: 'touched' }));
    expect(patched.status).toBe(200);
    expect(patched.body.headersSecret).toEqual(['X-Customer']);
    const exported = kept(await gh.api('GET', '/api/export'));
    expect(exported.body.mcpServers.mine.headers['X-Customer']).toEqual({ value: read.headers['X-Customer'], secret: true });
    expect(kept(await gh.api('POST', '/api/import', exported.body)).status).toBeLessThan(300);
    expect((await gh.api('GET', '/api/servers/mine')).body.headersSecret).toEqual(['X-Customer']);
    expect(await headersSeen('mine')).toEqual({ 'x-tenant': sha256('acme') });
  });

  it('sends the header to users once it is declared plain: the flag, not the guess, kept it off', async () => {
    const read = (await gh.api('GET', '/api/servers/mine')).body;
    const patched = kept(await gh.api('PATCH', '/api/servers/mine', { headers: { ...read.headers, 'X-Customer': { value: read.headers['X-Customer'], secret: false } } }));
    expect(patched.body.headersSecret).toEqual([]);
    expect(await headersSeen('mine')).toEqual({ 'x-tenant': sha256('acme'), 'x-customer': sha256(CUSTOMER_KEY) });
  });

  it('stores, logs and answers the secret header in no plaintext', async () => {
    const database = join(gh.dataDir, 'gatehouse.db');
    const stored = [database, `${database}-wal`].filter(existsSync).map((file) => readFileSync(file).toString('latin1')).join('\n');
    const rows = JSON.stringify(gh.sql.all('SELECT * FROM servers')) + JSON.stringify(gh.sql.all('SELECT data FROM events'));
    const api = answers.join('\n') + JSON.stringify((await gh.api('GET', '/api/events?limit=1000')).body) + JSON.stringify((await gh.api('GET', '/api/logs')).body);
    expect(logLines.length).toBeGreaterThan(0);
    expect(rows).toContain('X-Customer');
    for (const text of [stored, rows, logLines.join('\n'), api]) expect(text).not.toContain(CUSTOMER_KEY);
  });
});
