import { eventCount } from '../support/events';
import { startTestGatehouse, type ApiResponse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';

const statuses = (responses: readonly ApiResponse[]): Record<number, number> =>
  responses.reduce<Record<number, number>>((counts, r) => ({ ...counts, [r.status]: (counts[r.status] ?? 0) + 1 }), {});

describe('ETag / If-Match and concurrent writes', () => {
  let gh: TestGatehouse;
  let keyId: string;
  beforeAll(async () => {
    gh = await startTestGatehouse();
    await gh.api('POST', '/api/servers', { name: 'alpha', transport: 'stdio', command: 'node' });
    await gh.api('POST', '/api/servers', { name: 'beta', transport: 'stdio', command: 'node' });
    await gh.api('POST', '/api/profiles', { slug: 'dev' });
    await gh.api('PUT', '/api/profiles/dev/servers/alpha');
    keyId = (await gh.api('POST', '/api/keys', { name: 'k', profiles: ['dev'] })).body.id;
  });
  afterAll(async () => {
    await gh.stop();
  });

  describe('a stale If-Match is a 412 and appends nothing, on every write route', () => {
    const writes: [string, string, string, unknown][] = [
      ['PATCH server', 'PATCH', '/api/servers/alpha', { description: 'stale' }],
      ['DELETE server', 'DELETE', '/api/servers/beta', undefined],
      ['revert server', 'POST', '/api/servers/alpha/revert', { to: 0 }],
      ['PATCH profile', 'PATCH', '/api/profiles/dev', { name: 'stale' }],
      ['DELETE profile', 'DELETE', '/api/profiles/dev', undefined],
      ['attach', 'PUT', '/api/profiles/dev/servers/beta', { status: 'active' }],
      ['detach', 'DELETE', '/api/profiles/dev/servers/alpha', undefined],
      ['PATCH tool', 'PATCH', '/api/profiles/dev/tools/alpha/echo', { name: 'say' }],
      ['revert profile', 'POST', '/api/profiles/dev/revert', { to: 0 }],
      ['PATCH settings', 'PATCH', '/api/settings', { logRetentionDays: 2 }],
    ];

    it.each(writes)('%s', async (_, method, path, body) => {
      const count = eventCount(gh);
      const problem = expectProblem(await gh.api(method, path, body, { 'If-Match': '"999"' }), 412, 'VERSION_MISMATCH');
      expect(problem.detail).toMatch(/version \d+/);
      expect(eventCount(gh)).toBe(count);
    });

    it('DELETE key', async () => {
      const count = eventCount(gh);
      expectProblem(await gh.api('DELETE', `/api/keys/${keyId}`, undefined, { 'If-Match': '"0"' }), 412, 'VERSION_MISMATCH');
      expect(eventCount(gh)).toBe(count);
    });
  });

  it('accepts the current ETag (strong or weak) and answers with the next one', async () => {
    const read = await gh.api('GET', '/api/profiles/dev');
    const etag = read.headers.get('etag') as string;
    const patched = await gh.api('PATCH', '/api/profiles/dev', { name: 'Dev 1' }, { 'If-Match': etag });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe(`"${read.body.version + 1}"`);
    const weak = await gh.api('PATCH', '/api/profiles/dev', { name: 'Dev 2' }, { 'If-Match': `W/${patched.headers.get('etag')}` });
    expect(weak.status).toBe(200);
    const any = await gh.api('PATCH', '/api/profiles/dev', { name: 'Dev 3' }, { 'If-Match': '*' });
    expect(any.status).toBe(200);
    expectProblem(await gh.api('PATCH', '/api/profiles/dev', { name: 'x' }, { 'If-Match': etag }), 412, 'VERSION_MISMATCH');
    const settings = await gh.api('GET', '/api/settings');
    expect((await gh.api('PATCH', '/api/settings', { logRetentionDays: 9 }, { 'If-Match': settings.headers.get('etag') as string })).status).toBe(200);
  });

  it.each(['3', '"abc"', '"1", "2"', 'W/"x"'])('refuses a malformed If-Match %s with 400', async (value) => {
    const count = eventCount(gh);
    expectProblem(await gh.api('PATCH', '/api/profiles/dev', { name: 'x' }, { 'If-Match': value }), 400, 'INVALID_IF_MATCH');
    expect(eventCount(gh)).toBe(count);
  });

  it('10 parallel POSTs of the same server name: exactly one 201, the others 409', async () => {
    const count = eventCount(gh);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => gh.api('POST', '/api/servers', { name: 'racer', transport: 'stdio', command: `node racer-${i}.js` })),
    );
    expect(statuses(responses)).toEqual({ 201: 1, 409: 9 });
    for (const response of responses.filter((r) => r.status === 409)) expectProblem(response, 409, 'SERVER_NAME_TAKEN');
    expect(eventCount(gh)).toBe(count + 1);
    const winner = responses.find((r) => r.status === 201)?.body;
    expect((await gh.api('GET', '/api/servers/racer')).body).toMatchObject({ id: winner.id, command: winner.command });
  });

  it('10 parallel POSTs of the same profile slug: exactly one 201, the others 409', async () => {
    const count = eventCount(gh);
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => gh.api('POST', '/api/profiles', { slug: 'racing', name: `Racer ${i}` })));
    expect(statuses(responses)).toEqual({ 201: 1, 409: 9 });
    for (const response of responses.filter((r) => r.status === 409)) expectProblem(response, 409, 'PROFILE_SLUG_TAKEN');
    expect(eventCount(gh)).toBe(count + 1);
  });

  it('parallel PATCHes with the same If-Match: one wins, the others get 412, the winner\'s change is what is stored', async () => {
    const read = await gh.api('GET', '/api/profiles/dev');
    const etag = read.headers.get('etag') as string;
    const count = eventCount(gh);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => gh.api('PATCH', '/api/profiles/dev', { description: `writer ${i}` }, { 'If-Match': etag })),
    );
    expect(statuses(responses)).toEqual({ 200: 1, 412: 9 });
    const winner = responses.find((r) => r.status === 200)?.body;
    expect(eventCount(gh)).toBe(count + 1);
    expect((await gh.api('GET', '/api/profiles/dev')).body).toMatchObject({ description: winner.description, version: read.body.version + 1 });
  });

  it('parallel server PATCHes with the same If-Match: one wins', async () => {
    const read = await gh.api('GET', '/api/servers/alpha');
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => gh.api('PATCH', '/api/servers/alpha', { args: [`--run=${i}`] }, { 'If-Match': read.headers.get('etag') as string })),
    );
    expect(statuses(responses)).toEqual({ 200: 1, 412: 7 });
    const winner = responses.find((r) => r.status === 200)?.body;
    expect((await gh.api('GET', '/api/servers/alpha')).body.args).toEqual(winner.args);
  });

  it('parallel writes without If-Match to one profile are retried, not lost', async () => {
    const before = (await gh.api('GET', '/api/profiles/dev')).body.version;
    const tools = Array.from({ length: 12 }, (_, i) => `tool${i}`);
    const responses = await Promise.all(
      tools.map((name) => gh.api('PATCH', `/api/profiles/dev/tools/alpha/${name}`, { description: `about ${name}` })),
    );
    expect(statuses(responses)).toEqual({ 200: 12 });
    const rows = gh.sql.all<{ tool_name: string; override_description: string }>(
      'SELECT tool_name, override_description FROM profile_tools WHERE override_description IS NOT NULL ORDER BY tool_name',
    );
    expect(rows.map((row) => row.tool_name).sort()).toEqual([...tools].sort());
    for (const row of rows) expect(row.override_description).toBe(`about ${row.tool_name}`);
    const after = (await gh.api('GET', '/api/profiles/dev')).body.version;
    expect(after).toBe(before + 12);
    const history = await gh.api('GET', '/api/profiles/dev/history');
    expect(history.body.events.map((e: { version: number }) => e.version)).toEqual(Array.from({ length: after }, (_, i) => i + 1));
  });

  it('parallel attaches of different servers to one profile all land', async () => {
    const names = ['s1', 's2', 's3', 's4', 's5'];
    for (const name of names) await gh.api('POST', '/api/servers', { name, transport: 'stdio', command: 'node' });
    await gh.api('POST', '/api/profiles', { slug: 'many' });
    const responses = await Promise.all(names.map((name) => gh.api('PUT', `/api/profiles/many/servers/${name}`)));
    expect(statuses(responses)).toEqual({ 201: 5 });
    const profile = (await gh.api('GET', '/api/profiles/many')).body;
    expect(profile.servers.map((s: { name: string }) => s.name).sort()).toEqual(names);
    expect(profile.version).toBe(6);
  });
});
