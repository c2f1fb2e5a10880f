import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureServer, startHttpServer, type RunningHttpServer } from '../fixtures/upstream-fixtures';
import { spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { runCli } from '../support/cli';
import { filesUnder, findInFiles } from '../support/files';
import { connectClient } from '../support/mcp-client';
import { openStream, openStreamableSession, postStatus, sessionHeaders } from '../support/mcp-streams';
import { resultText, waitFor } from '../support/proxy';
import { makeTempDir } from '../support/temp-dir';

/**
 * A whole life of a gateway, run as real processes against one data directory: servers with
 * secrets in every secret field, profiles, keys from the API and the CLI, MCP traffic over
 * both HTTP transports that makes the upstreams use those secrets, debug logging, exports,
 * a secret rotated, a key revoked, the admin token and the master key rotated, restarts.
 * Then every byte of the data directory and everything any process printed is searched.
 */

const SECRETS = {
  envToken: 'env-secret-Qm4Tz8Lw2Rx6Vb1N',
  // As short as a secret gets and is still searched for in payloads (8 characters, 24 bits: see isSearchableSecret).
  envShort: 'p@5s!1Xq',
  header: 'hdr-secret-Kd7Jf3Hs9Pq2Zc5M',
  bearer: 'bearer-secret-Wn6Ye1Ut4Io8Ap3S',
  bearerRotated: 'bearer-rotated-Gh2Jk5Lz8Xc1Vb4N',
};

const asKeyForms = (keyFileText: string): string[] => {
  const key = Buffer.from(keyFileText.trim(), 'base64');
  return [keyFileText.trim(), key.toString('hex'), key.toString('base64url')];
};

describe('after a full end-to-end run, no secret or key is anywhere in plaintext', () => {
  const dir = makeTempDir();
  const env = { GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_LOG_LEVEL: 'debug' };
  const printed: string[] = [];
  /** Values that must not appear anywhere at all at the end. */
  const gone: string[] = Object.values(SECRETS);
  let fast: RunningHttpServer;
  let gateway: ChildGatehouse;
  let adminToken: string;
  /** The scans below mean something only after the whole run. */
  let completed = false;

  /** `record`: false only for the one answer that carries a key by design (POST /api/keys). */
  const api = async (method: string, path: string, body?: unknown, record = true): Promise<{ status: number; text: string; json: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any -- bodies are asserted field by field
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (record) printed.push(text);
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    const isJson = /^application\/(problem\+)?json/.test(response.headers.get('content-type') ?? '') && text !== '';
    return { status: response.status, text, json: isJson ? JSON.parse(text) : null };
  };
  const cli = async (...args: string[]): Promise<string> => {
    const run = await runCli(env, ...args);
    if (run.code !== 0) throw new Error(`gatehouse ${args.join(' ')}: ${run.code} ${run.stderr}`);
    printed.push(run.stderr);
    return run.stdout;
  };
  const start = async (): Promise<void> => {
    gateway = await spawnGatehouse(env);
    adminToken = readFileSync(join(dir.path, 'admin.token'), 'utf8').trim();
  };
  const stop = async (): Promise<void> => {
    await gateway.kill('SIGTERM');
    printed.push(gateway.output());
  };
  const useProfile = async (key: string): Promise<void> => {
    for (const transport of ['streamable', 'sse'] as const) {
      const client: Client = await connectClient(gateway.url, 'dev', { key, transport });
      try {
        expect(resultText(await client.callTool({ name: 'remote__echo', arguments: { message: 'ping' } }))).toBe('ping');
        // The upstream received the configured secrets (and this client may see them: they are the upstream's answer).
        const headers = JSON.parse(resultText(await client.callTool({ name: 'remote__get_request_headers', arguments: {} }))) as Record<string, string>;
        expect(headers['x-upstream-secret']).toBe(SECRETS.header);
        const report = JSON.parse(resultText(await client.callTool({ name: 'local__get_env', arguments: {} }))) as { env: Record<string, string> };
        expect(report.env.API_TOKEN).toBe(SECRETS.envToken);
      } finally {
        await client.close();
      }
    }
  };

  beforeAll(async () => {
    fast = await startHttpServer([fixtureServer('fast-server.js'), '--http', '0']);
    await start();
  });
  afterAll(async () => {
    if (gateway.process.exitCode === null && gateway.process.signalCode === null) await stop();
    await fast.stop();
    dir.cleanup();
  });

  it('runs the life of a gateway', async () => {
    await api('POST', '/api/servers', {
      name: 'remote', transport: 'streamable_http', url: `${fast.baseUrl}/mcp`,
      headers: { 'X-Upstream-Secret': SECRETS.header }, bearerToken: SECRETS.bearer,
    });
    await api('POST', '/api/servers', {
      name: 'local', transport: 'stdio', command: process.execPath, args: [fixtureServer('env-server.js')],
      env: { API_TOKEN: SECRETS.envToken, SHORT_PASSWORD: SECRETS.envShort },
    });
    await api('POST', '/api/profiles', { slug: 'dev', debugLogging: true });
    await api('PUT', '/api/profiles/dev/servers/remote', { status: 'active' });
    await api('PUT', '/api/profiles/dev/servers/local', { status: 'active' });
    const restKey = (await api('POST', '/api/keys', { name: 'rest', profiles: ['dev'] }, false)).json;
    const cliKey = JSON.parse(await cli('keys', 'create', '--name', 'cli', '--profiles', '*', '--json')) as { key: string };
    gone.push(restKey.key, cliKey.key);

    await useProfile(restKey.key);
    await useProfile(cliKey.key);
    // A client that can only put its key in the URL (the request log must not keep the query).
    await api('POST', '/api/profiles', { slug: 'query', auth: { apiKey: true, queryParam: true } });
    await api('PUT', '/api/profiles/query/servers/remote', { status: 'active' });
    const sessionId = await openStreamableSession(`${gateway.url}/mcp/query`, { query: cliKey.key });
    expect(await postStatus(`${gateway.url}/mcp/query`, { query: cliKey.key }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, sessionHeaders(sessionId))).toBe(200);
    const sse = await openStream(`${gateway.url}/mcp/query/sse`, { query: cliKey.key }, {}, true);
    expect(await postStatus(sse.endpoint as string, {}, { jsonrpc: '2.0', id: 3, method: 'ping' })).toBe(202);
    sse.close();
    await api('PATCH', '/api/servers/remote', { bearerToken: SECRETS.bearerRotated });
    await useProfile(cliKey.key);

    // Debug logging is on for the profile: the traffic journal is written off the request path.
    await waitFor(async () => (await api('GET', '/api/logs?limit=500')).text.includes('get_env'), 10_000, 'debug log entries of the calls');
    for (const path of ['/api/servers', '/api/servers/remote', '/api/servers/remote/history', '/api/events?limit=1000', '/api/export', '/api/export?format=events', '/api/keys', '/api/profiles/dev/tools']) {
      await api('GET', path);
    }
    printed.push(await cli('export'), await cli('export', '--format', 'events'), await cli('history'), await cli('keys', 'list'));
    await api('DELETE', `/api/keys/${restKey.id}`);

    gone.push(adminToken);
    await cli('admin-token', 'rotate');
    adminToken = readFileSync(join(dir.path, 'admin.token'), 'utf8').trim();
    await api('GET', '/api/servers');

    await stop();
    gone.push(...asKeyForms(readFileSync(join(dir.path, 'secret.key'), 'utf8')));
    await cli('secrets', 'rotate-key');
    await start();
    await useProfile(cliKey.key);
    await stop();
    completed = true;
    // Eight CLI runs and two gateway starts: about 11 s alone, and it passed 30 s once under load.
  }, 120_000);

  it('leaves no plaintext secret, API key, old admin token or old master key in any file of the data directory', () => {
    expect(completed).toBe(true);
    const files = filesUnder(dir.path).map((file) => file.slice(dir.path.length + 1));
    expect(files).toEqual(expect.arrayContaining(['gatehouse.db', 'admin.token', 'secret.key']));
    expect(findInFiles(dir.path, gone)).toEqual([]);
  });

  it('keeps the current admin token and master key in their own 0600 files only', () => {
    const inFiles = (needles: string[]): string[] => [...new Set(findInFiles(dir.path, needles).map(({ file }) => file.slice(dir.path.length + 1)))];
    expect(inFiles([adminToken])).toEqual(['admin.token']);
    expect(inFiles(asKeyForms(readFileSync(join(dir.path, 'secret.key'), 'utf8')))).toEqual(['secret.key']);
  });

  it('printed none of them: no log line, API answer or CLI output (other than `keys create`) carries one', () => {
    expect(completed).toBe(true);
    const everything = printed.join('\n');
    for (const needle of [...gone, adminToken]) expect({ needle, found: everything.includes(needle) }).toEqual({ needle, found: false });
  });
});
