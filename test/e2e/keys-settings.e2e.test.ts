import { createHash } from 'node:crypto';
import { eventCount } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';

describe('/api/keys', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
    await gh.api('POST', '/api/profiles', { slug: 'dev' });
    await gh.api('POST', '/api/profiles', { slug: 'ops' });
  });
  afterAll(async () => {
    await gh.stop();
  });

  let keyId: string;
  let key: string;

  it('issues a key and returns the plaintext exactly once', async () => {
    const created = await gh.api('POST', '/api/keys', { name: 'ci', profiles: ['dev', 'ops'] });
    expect(created.status).toBe(201);
    keyId = created.body.id;
    key = created.body.key;
    expect(key).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
    expect(created.headers.get('location')).toBe(`/api/keys/${keyId}`);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({ name: 'ci', prefix: key.slice(0, 10), profiles: ['dev', 'ops'], status: 'active', expiresAt: null, revokedAt: null, version: 1 });

    const one = await gh.api('GET', `/api/keys/${keyId}`);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('key');
    expect(one.body).toEqual(Object.fromEntries(Object.entries(created.body).filter(([field]) => field !== 'key')));
    const list = await gh.api('GET', '/api/keys');
    expect(list.body.keys.map((k: { id: string }) => k.id)).toEqual([keyId]);
    const events = await gh.api('GET', '/api/events?type=ApiKeyIssued');
    for (const body of [one.body, list.body, events.body]) expect(JSON.stringify(body)).not.toContain(key);
  });

  it('stores only the SHA-256 of the key, never the key', () => {
    const rows = gh.sql.all<Record<string, unknown>>('SELECT * FROM api_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    for (const value of Object.values(rows[0])) expect(String(value)).not.toContain(key);
    const stored = gh.sql.all<{ data: string; metadata: string }>('SELECT data, metadata FROM events');
    for (const row of stored) expect(`${row.data}${row.metadata}`).not.toContain(key);
  });

  it('scopes keys to every profile with "*" and keeps an expiry', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const all = await gh.api('POST', '/api/keys', { name: 'all', profiles: ['*'], expiresAt });
    expect(all.status).toBe(201);
    expect(all.body).toMatchObject({ profiles: ['*'], expiresAt, status: 'active' });
    const withOffset = await gh.api('POST', '/api/keys', { name: 'offset', profiles: ['dev'], expiresAt: '2999-01-01T00:30:00+01:00' });
    expect(withOffset.body.expiresAt).toBe('2998-12-31T23:30:00.000Z');
    const dateOnly = await gh.api('POST', '/api/keys', { name: 'date', profiles: ['dev'], expiresAt: '2999-01-01' });
    expect(dateOnly.body.expiresAt).toBe('2999-01-01T00:00:00.000Z');
    expectProblem(await gh.api('POST', '/api/keys', { name: 'mixed', profiles: ['*', 'dev'] }), 400, 'INVALID_ARGUMENT');
    expectProblem(await gh.api('POST', '/api/keys', { name: 'past', profiles: ['dev'], expiresAt: '2001-01-01T00:00:00Z' }), 400, 'INVALID_ARGUMENT');
    expectProblem(await gh.api('POST', '/api/keys', { name: 'nowhere', profiles: ['nope'] }), 404, 'PROFILE_NOT_FOUND');
  });

  it('revokes a key (idempotently)', async () => {
    expect((await gh.api('DELETE', `/api/keys/${keyId}`)).status).toBe(204);
    const revoked = await gh.api('GET', `/api/keys/${keyId}`);
    expect(revoked.body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String), version: 2 });
    const count = eventCount(gh);
    expect((await gh.api('DELETE', `/api/keys/${keyId}`)).status).toBe(204);
    expect(eventCount(gh)).toBe(count);
    expectProblem(await gh.api('DELETE', '/api/keys/00000000-0000-0000-0000-000000000000'), 404, 'APIKEY_NOT_FOUND');
  });

  it('shows the scope of a key whose profile was renamed under the new slug', async () => {
    const created = await gh.api('POST', '/api/keys', { name: 'ops-only', profiles: ['ops'] });
    expect((await gh.api('PATCH', '/api/profiles/ops', { slug: 'operations' })).status).toBe(200);
    expect((await gh.api('GET', `/api/keys/${created.body.id}`)).body.profiles).toEqual(['operations']);
  });
});

describe('/api/settings', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('starts at the defaults with version 0', async () => {
    const settings = await gh.api('GET', '/api/settings');
    expect(settings.status).toBe(200);
    expect(settings.headers.get('etag')).toBe('"0"');
    expect(settings.body).toEqual({
      requestTimeoutMs: 60_000, connectTimeoutMs: 10_000, sessionIdleTimeoutMs: 1_800_000, logRetentionDays: 7, logMaxRows: 100_000,
      logPayloadMaxBytes: 16_384, maxProcessesPerServer: 8, upstreamAllowedHosts: [], version: 0,
    });
  });

  it('patches some settings and keeps the others', async () => {
    const patched = await gh.api('PATCH', '/api/settings', { requestTimeoutMs: 5_000, upstreamAllowedHosts: ['example.com', '[::1]'] });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"1"');
    expect(patched.body).toMatchObject({ requestTimeoutMs: 5_000, connectTimeoutMs: 10_000, upstreamAllowedHosts: ['example.com', '[::1]'], version: 1 });
    expect((await gh.api('GET', '/api/settings')).body).toEqual(patched.body);
    const same = await gh.api('PATCH', '/api/settings', { requestTimeoutMs: 5_000 });
    expect(same.body.version).toBe(1);
    expect(gh.sql.all('SELECT key, value FROM settings ORDER BY key')).toEqual([
      { key: 'requestTimeoutMs', value: '5000' },
      { key: 'upstreamAllowedHosts', value: '["example.com","[::1]"]' },
    ]);
  });

  it.each([
    [{ requestTimeoutMs: 99 }, 'requestTimeoutMs'],
    [{ requestTimeoutMs: 3_600_001 }, 'requestTimeoutMs'],
    [{ connectTimeoutMs: 0 }, 'connectTimeoutMs'],
    [{ sessionIdleTimeoutMs: 7 * 86_400_000 + 1 }, 'sessionIdleTimeoutMs'],
    [{ logRetentionDays: -1 }, 'logRetentionDays'],
    [{ logRetentionDays: 3651 }, 'logRetentionDays'],
    [{ logMaxRows: 100_000_001 }, 'logMaxRows'],
    [{ logPayloadMaxBytes: 255 }, 'logPayloadMaxBytes'],
    [{ maxProcessesPerServer: 0 }, 'maxProcessesPerServer'],
    [{ maxProcessesPerServer: 1e300 }, 'maxProcessesPerServer'],
    [{ upstreamAllowedHosts: ['not a host'] }, 'upstreamAllowedHosts'],
    [{ upstreamAllowedHosts: ['a.example', 'A.EXAMPLE'] }, 'upstreamAllowedHosts'],
  ])('refuses %j (out of range) with 400 and appends nothing', async (patch, field) => {
    const count = eventCount(gh);
    const problem = expectProblem(await gh.api('PATCH', '/api/settings', patch), 400, 'INVALID_ARGUMENT');
    expect(problem.errors).toEqual([{ field, messages: [expect.any(String)] }]);
    expect(eventCount(gh)).toBe(count);
  });

  it('accepts the range bounds', async () => {
    const low = await gh.api('PATCH', '/api/settings', { requestTimeoutMs: 100, logRetentionDays: 0, logPayloadMaxBytes: 256, maxProcessesPerServer: 1 });
    expect(low.status).toBe(200);
    const high = await gh.api('PATCH', '/api/settings', { requestTimeoutMs: 3_600_000, logRetentionDays: 3650, maxProcessesPerServer: 1000 });
    expect(high.body).toMatchObject({ requestTimeoutMs: 3_600_000, logRetentionDays: 3650, maxProcessesPerServer: 1000, logPayloadMaxBytes: 256 });
  });
});
