import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { connectClient, FIXTURES } from '../support/mcp-client';
import { expectProblem } from '../support/problem';
import { resultText } from '../support/proxy';

type Log = { id: number; target: string | null };

/** A generated API key: secret by its name and by its look. */
const API_KEY = `gk-${randomBytes(18).toString('base64url')}`;
const ENV_SERVER = join(FIXTURES, 'env-server.js');

describe('env values are secret or plain, per variable', () => {
  let gh: TestGatehouse;
  let key: string;
  const clients: Client[] = [];

  /** Calls `local__get_env` on a new session and returns the debug log of that call. */
  const loggedGetEnv = async (): Promise<{ upstreamEnv: Record<string, string>; logged: string }> => {
    const client = await connectClient(gh.url, 'dev', { key });
    clients.push(client);
    const report = JSON.parse(resultText(await client.callTool({ name: 'local__get_env', arguments: {} }))) as { env: Record<string, string> };
    await gh.observability.flush();
    const logs = (await gh.api('GET', '/api/logs?method=tools/call&limit=1')).body.logs as Log[];
    expect(logs[0].target).toBe('local__get_env');
    const detail = await gh.api('GET', `/api/logs/${logs[0].id}`);
    return { upstreamEnv: report.env, logged: JSON.stringify(detail.body.result) };
  };

  beforeAll(async () => {
    gh = await startTestGatehouse();
    const created = await gh.api('POST', '/api/servers', {
      name: 'local', transport: 'stdio', command: process.execPath, args: [ENV_SERVER], env: { LOG_LEVEL: 'debug', API_KEY },
    });
    expect(created.status).toBe(201);
    expect((await gh.api('POST', '/api/profiles', { slug: 'dev', debugLogging: true })).status).toBe(201);
    expect((await gh.api('PUT', '/api/profiles/dev/servers/local', { status: 'active' })).status).toBeLessThan(300);
    key = (await gh.api('POST', '/api/keys', { name: 'env', profiles: ['dev'] })).body.key as string;
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
  });

  it('shows a plain variable in clear and masks a secret one, naming it in envSecret', async () => {
    const server = await gh.api('GET', '/api/servers/local');
    expect(server.body).toMatchObject({ env: { LOG_LEVEL: 'debug', API_KEY: `••••${API_KEY.slice(-4)}` }, envSecret: ['API_KEY'] });
    expect(JSON.stringify(server.body)).not.toContain(API_KEY);
    const history = await gh.api('GET', '/api/servers/local/history');
    expect(history.body.events[0].data.env).toEqual({ LOG_LEVEL: { plain: 'debug' }, API_KEY: `••••${API_KEY.slice(-4)}` });
  });

  it('gives the upstream both, and keeps "debug" in a debug log while it hides the API key', async () => {
    const { upstreamEnv, logged } = await loggedGetEnv();
    expect(upstreamEnv).toMatchObject({ LOG_LEVEL: 'debug', API_KEY });
    expect(logged).toContain('\\"LOG_LEVEL\\":\\"debug\\"');
    expect(logged).toContain('\\"API_KEY\\":\\"[REDACTED]\\"');
    expect(logged).not.toContain(API_KEY);
  });

  it('masks a variable given as {value, secret: true}, and still never redacts a word', async () => {
    const patched = await gh.api('PATCH', '/api/servers/local', { env: { LOG_LEVEL: { value: 'debug', secret: true }, API_KEY } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ env: { LOG_LEVEL: '••••', API_KEY: `••••${API_KEY.slice(-4)}` }, envSecret: ['LOG_LEVEL', 'API_KEY'] });
    const { upstreamEnv, logged } = await loggedGetEnv();
    expect(upstreamEnv.LOG_LEVEL).toBe('debug');
    // "debug" is a secret now, but too short and too common to be searched for in payloads.
    expect(logged).toContain('\\"LOG_LEVEL\\":\\"debug\\"');
    expect(logged).not.toContain(API_KEY);
  });

  it('lets a secret-looking name be plain when told so', async () => {
    const patched = await gh.api('PATCH', '/api/servers/local', { env: { AUTH_MODE: { value: 'oauth', secret: false }, API_KEY } });
    expect(patched.body).toMatchObject({ env: { AUTH_MODE: 'oauth', API_KEY: `••••${API_KEY.slice(-4)}` }, envSecret: ['API_KEY'] });
  });

  it('keeps a secret sent back as GET shows it (its mask), and refuses a mask that stands for nothing', async () => {
    const shown = (await gh.api('GET', '/api/servers/local')).body;
    const patched = await gh.api('PATCH', '/api/servers/local', { env: { ...shown.env, EXTRA: 'on' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ env: { ...shown.env, EXTRA: 'on' }, envSecret: shown.envSecret });
    const { upstreamEnv } = await loggedGetEnv();
    expect(upstreamEnv).toMatchObject({ API_KEY, AUTH_MODE: 'oauth', EXTRA: 'on' });
    expect(upstreamEnv.API_KEY).not.toContain('••••');

    // A credential pasted into a plain variable is sealed: the rule decides again for plain ones.
    const pasted = await gh.api('PATCH', '/api/servers/local', { env: { ...shown.env, EXTRA: `sk-${'A1b2C3d4'.repeat(3)}` } });
    expect(pasted.body.envSecret).toContain('EXTRA');
    expect(JSON.stringify(pasted.body)).not.toContain('A1b2C3d4A1b2');
    expect((await gh.api('PATCH', '/api/servers/local', { env: { ...shown.env, EXTRA: { value: 'on', secret: false } } })).status).toBe(200);

    const version = (await gh.api('GET', '/api/servers/local')).body.version;
    const refused = expectProblem(await gh.api('PATCH', '/api/servers/local', { env: { ...shown.env, OTHER_KEY: '••••abcd' } }), 400);
    expect(refused.detail).toMatch(/env\.OTHER_KEY is a masked value .* no secret is stored under that name/);
    expectProblem(await gh.api('PATCH', '/api/servers/local', { env: { ...shown.env, API_KEY: '••••zzzz' } }), 400);
    expectProblem(await gh.api('POST', '/api/servers', { name: 'copy', transport: 'stdio', command: process.execPath, args: [ENV_SERVER], env: shown.env }), 400);
    expect((await gh.api('GET', '/api/servers/local')).body.version).toBe(version);
    expect((await gh.api('GET', '/api/servers/copy')).status).toBe(404);
  });

  it('refuses an env value that is neither a string nor {value, secret}', async () => {
    for (const env of [{ A: { value: 'x' } }, { A: { value: 'x', secret: 'yes' } }, { A: { value: 'x', secret: true, extra: 1 } }, { A: 3 }]) {
      expectProblem(await gh.api('PATCH', '/api/servers/local', { env }), 400);
    }
  });

  it('imports the object form, and exports what round-trips', async () => {
    const document = {
      mcpServers: {
        imported: {
          command: process.execPath,
          args: [ENV_SERVER],
          env: { NODE_ENV: 'production', LOG_LEVEL: { value: 'info', secret: true }, AUTH_MODE: { value: 'oauth', secret: false }, GITHUB_TOKEN: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a' },
        },
      },
    };
    expect((await gh.api('POST', '/api/import', document)).status).toBe(200);
    const server = await gh.api('GET', '/api/servers/imported');
    expect(server.body).toMatchObject({
      env: { NODE_ENV: 'production', LOG_LEVEL: '••••', AUTH_MODE: 'oauth', GITHUB_TOKEN: '••••8B4a' },
      envSecret: ['LOG_LEVEL', 'GITHUB_TOKEN'],
    });
    const exported = await gh.api('GET', '/api/export');
    expect(exported.body.mcpServers.imported.env).toEqual({
      NODE_ENV: 'production',
      LOG_LEVEL: { value: '••••', secret: true },
      AUTH_MODE: { value: 'oauth', secret: false },
      GITHUB_TOKEN: '••••8B4a',
    });
    expect((await gh.api('POST', '/api/import', exported.body)).body.appended).toBe(0);
  });
});
