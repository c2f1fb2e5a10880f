import type { SealedSecret } from '../../src/domain/shared';
import { headPosition } from '../support/events';
import { filesUnder, findInFiles } from '../support/files';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type ApiResponse, type TestGatehouse } from '../support/gatehouse';
import { openSse } from '../support/sse';

/** Plaintext secrets used below; none may ever be seen again outside the process. */
const SECRETS = {
  env: 'env-plaintext-Zq8r1VbK3mXw',
  envRotated: 'env-rotated-Vb7Yt2Lp9QsD',
  short: 'p@ss!1',
  header: 'hdr-plaintext-Jd92kLmQpZ7t',
  bearer: 'bearer-plaintext-Xy5Tn0RwE4uv',
  bearerRotated: 'bearer-rotated-Hq3Lw8PzC1nm',
};

describe('secrets never leave in plaintext', () => {
  let gh: TestGatehouse;
  const responses: string[] = [];
  const plaintexts: string[] = Object.values(SECRETS);

  /** Every API call of this test, with its body kept for the final scan. */
  const call = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const response = await gh.api(method, path, body);
    responses.push(JSON.stringify(response.body));
    expect(response.status).toBeLessThan(300);
    return response;
  };

  beforeAll(async () => {
    gh = await startTestGatehouse();
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('masks secrets in every response while storing them sealed', async () => {
    const sse = await openSse(`${gh.url}/api/events/stream`, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
    try {
      const local = await call('POST', '/api/servers', { name: 'local', transport: 'stdio', command: 'node', env: { TOKEN: SECRETS.env, SHORT_PASSWORD: SECRETS.short, PLAIN_LOOKING: 'x' } });
      expect(local.body.env).toEqual({ TOKEN: '••••3mXw', SHORT_PASSWORD: '••••', PLAIN_LOOKING: 'x' });
      const remote = await call('POST', '/api/servers', {
        name: 'remote', transport: 'streamable_http', url: 'http://127.0.0.1:9/mcp', headers: { Authorization: `Bearer ${SECRETS.header}` }, bearerToken: SECRETS.bearer,
      });
      expect(remote.body).toMatchObject({ headers: { Authorization: '••••pZ7t' }, bearerToken: '••••E4uv' });
      const before = headPosition(gh);

      const rotated = await call('PATCH', '/api/servers/remote', { bearerToken: SECRETS.bearerRotated });
      expect(rotated.body.bearerToken).toBe('••••C1nm');
      expect((await call('PATCH', '/api/servers/local', { env: { TOKEN: SECRETS.envRotated } })).body.env).toEqual({ TOKEN: '••••9QsD' });

      await call('POST', '/api/profiles', { slug: 'dev' });
      await call('PUT', '/api/profiles/dev/servers/remote');
      await call('GET', '/api/servers');
      await call('GET', '/api/servers?include=removed');
      await call('GET', '/api/servers/remote');
      await call('GET', `/api/servers/remote?at=${before}`);
      await call('GET', '/api/servers/local/history');
      await call('GET', '/api/servers/remote/history');
      await call('GET', '/api/events?limit=1000');
      await call('GET', '/api/profiles/dev');
      const reverted = await call('POST', '/api/servers/remote/revert', { to: before });
      expect(reverted.body.bearerToken).toBe('••••E4uv');
      const removedId = (await call('GET', '/api/servers/local')).body.id;
      await call('DELETE', '/api/servers/local');
      const restored = await call('POST', `/api/servers/${removedId}/revert`, { to: before });
      expect(restored.body.env).toEqual({ TOKEN: '••••3mXw', SHORT_PASSWORD: '••••', PLAIN_LOOKING: 'x' });
      await call('GET', '/api/events?limit=1000');
      const key = await gh.api('POST', '/api/keys', { name: 'ci', profiles: ['dev'] });
      expect(key.status).toBe(201);
      plaintexts.push(key.body.key);
      await call('GET', '/api/keys');
      await call('GET', `/api/keys/${key.body.id}`);

      const last = headPosition(gh);
      const streamed: string[] = [];
      for (let message = await sse.next(); ; message = await sse.next()) {
        streamed.push(message.data);
        if (message.id === String(last)) break;
      }
      expect(streamed).toHaveLength(last);
      responses.push(...streamed);
    } finally {
      sse.close();
    }

    const everything = responses.join('\n');
    for (const secret of plaintexts) expect(everything).not.toContain(secret);

    const row = gh.sql.get<{ env: string; headers: string; bearer_token: string }>(`SELECT env, headers, bearer_token FROM servers WHERE name = 'remote'`);
    const open = (sealed: SealedSecret): string => gh.app.secrets.open(sealed);
    expect(open(JSON.parse(row?.bearer_token ?? 'null'))).toBe(SECRETS.bearer);
    expect(open(JSON.parse(row?.headers ?? '{}').Authorization)).toBe(`Bearer ${SECRETS.header}`);
    const local = gh.sql.get<{ env: string }>(`SELECT env FROM servers WHERE name = 'local'`);
    expect(open(JSON.parse(local?.env ?? '{}').SHORT_PASSWORD)).toBe(SECRETS.short);
  });

  it('leaves no plaintext secret in any file of the data directory, WAL included', async () => {
    const files = filesUnder(gh.dataDir).map((file) => file.slice(gh.dataDir.length + 1)).sort();
    expect(files).toEqual(expect.arrayContaining(['gatehouse.db', 'gatehouse.db-wal']));
    expect(findInFiles(gh.dataDir, plaintexts)).toEqual([]);
    expect(findInFiles(gh.dataDir, ['http://127.0.0.1:9/mcp']).length).toBeGreaterThan(0);

    await gh.close();
    expect(findInFiles(gh.dataDir, ['http://127.0.0.1:9/mcp']).length).toBeGreaterThan(0);
    expect(findInFiles(gh.dataDir, plaintexts)).toEqual([]);
  });
});
