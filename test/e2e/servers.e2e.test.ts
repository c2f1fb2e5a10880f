import { recordDiscoveredTools, tool } from '../support/discovery';
import { afterClockTick, allEvents, eventCount, headPosition } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';

describe('/api/servers', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
  });
  afterAll(async () => {
    await gh.stop();
  });

  const files = {
    name: 'files',
    description: 'File tools',
    transport: 'stdio',
    command: 'node',
    args: ['files.js'],
    env: { FILES_TOKEN: 'env-secret-value-0001', SHORT_SECRET: 'abc' },
    cwd: '/srv/files',
    timeoutMs: 30_000,
  };

  let id: string;
  let createdAt: number;
  let createdTime: string;

  it('registers a server: 201, Location, ETag, version 1, secrets masked', async () => {
    const created = await gh.api('POST', '/api/servers', files);
    expect(created.status).toBe(201);
    id = created.body.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.headers.get('location')).toBe(`/api/servers/${id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      name: 'files', description: 'File tools', transport: 'stdio', command: 'node', args: ['files.js'],
      env: { FILES_TOKEN: '••••0001', SHORT_SECRET: '••••' }, envSecret: ['FILES_TOKEN', 'SHORT_SECRET'], cwd: '/srv/files', url: null, headers: {}, bearerToken: null,
      timeoutMs: 30_000, status: 'active', version: 1,
    });
    createdAt = headPosition(gh);
    createdTime = await afterClockTick();

    const http = await gh.api('POST', '/api/servers', {
      name: 'remote', transport: 'streamable_http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Api-Key': 'header-secret-value-0002' }, bearerToken: 'bearer-secret-value-0003',
    });
    expect(http.status).toBe(201);
    expect(http.body).toMatchObject({ command: null, url: 'http://127.0.0.1:9/mcp', headers: { 'X-Api-Key': '••••0002' }, bearerToken: '••••0003' });
  });

  it('lists servers and reads one by name, by id and by upper-case id with its ETag', async () => {
    const list = await gh.api('GET', '/api/servers');
    expect(list.status).toBe(200);
    expect(list.body.servers.map((s: { name: string }) => s.name)).toEqual(['files', 'remote']);
    const byName = await gh.api('GET', '/api/servers/files');
    const byId = await gh.api('GET', `/api/servers/${id}`);
    const byUpperId = await gh.api('GET', `/api/servers/${id.toUpperCase()}`);
    expect(byName.status).toBe(200);
    expect(byName.headers.get('etag')).toBe('"1"');
    expect(byId.body).toEqual(byName.body);
    expect(byUpperId.body).toEqual(byName.body);
  });

  it('patches (rename + reconfigure) with null clearing nullable fields', async () => {
    const patched = await gh.api('PATCH', '/api/servers/files', { name: 'files2', description: null, timeoutMs: null, args: ['files.js', '--ro'] });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"3"');
    expect(patched.body).toMatchObject({ id, name: 'files2', description: null, timeoutMs: null, args: ['files.js', '--ro'], cwd: '/srv/files', version: 3 });
    expectProblem(await gh.api('GET', '/api/servers/files'), 404, 'SERVER_NOT_FOUND');
    expect((await gh.api('GET', '/api/servers/files2')).body.version).toBe(3);

    const same = await gh.api('PATCH', '/api/servers/files2', { description: null });
    expect(same.status).toBe(200);
    expect(same.body.version).toBe(3);
  });

  it('shows the server as it was at a position and at an ISO time', async () => {
    const atPosition = await gh.api('GET', `/api/servers/${id}?at=${createdAt}`);
    expect(atPosition.status).toBe(200);
    expect(atPosition.headers.get('etag')).toBe('"1"');
    expect(atPosition.body).toMatchObject({ id, name: 'files', description: 'File tools', timeoutMs: 30_000, env: { FILES_TOKEN: '••••0001' }, version: 1, at: createdAt });

    const atTime = await gh.api('GET', `/api/servers/${id}?at=${encodeURIComponent(createdTime)}`);
    expect(atTime.status).toBe(200);
    expect(atTime.body).toMatchObject({ name: 'files', version: 1, at: createdAt });

    const now = await gh.api('GET', `/api/servers/files2?at=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(now.body).toMatchObject({ name: 'files2', version: 3 });
    expectProblem(await gh.api('GET', `/api/servers/${id}?at=2000-01-01T00:00:00Z`), 404, 'SERVER_NOT_FOUND');
    expectProblem(await gh.api('GET', `/api/servers/${id}?at=0`), 404, 'SERVER_NOT_FOUND');
  });

  it('returns the history of the server with secrets masked', async () => {
    const history = await gh.api('GET', '/api/servers/files2/history');
    expect(history.status).toBe(200);
    expect(history.body.serverId).toBe(id);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['ServerRegistered', 'ServerRenamed', 'ServerReconfigured']);
    expect(history.body.events.map((e: { version: number }) => e.version)).toEqual([1, 2, 3]);
    expect(history.body.events[0].data.env).toEqual({ FILES_TOKEN: '••••0001', SHORT_SECRET: '••••' });
    expect(JSON.stringify(history.body)).not.toContain('env-secret-value-0001');
  });

  it('reverts the server to an earlier position', async () => {
    const reverted = await gh.api('POST', '/api/servers/files2/revert', { to: createdAt });
    expect(reverted.status).toBe(200);
    expect(reverted.headers.get('etag')).toBe('"5"');
    expect(reverted.body).toMatchObject({ id, name: 'files', description: 'File tools', timeoutMs: 30_000, args: ['files.js'], version: 5 });
    expect(reverted.body.appended.map((e: { type: string }) => e.type)).toEqual(['ServerRenamed', 'ServerReconfigured']);
    const again = await gh.api('POST', '/api/servers/files/revert', { to: createdAt });
    expect(again.status).toBe(200);
    expect(again.body.appended).toEqual([]);
  });

  it('lists the tools discovered upstream', async () => {
    const empty = await gh.api('GET', '/api/servers/files/tools');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ serverId: id, tools: [] });
    await recordDiscoveredTools(gh.app, id, [tool('read'), tool('list')]);
    const tools = await gh.api('GET', '/api/servers/files/tools');
    expect(tools.body.tools.map((t: { name: string }) => t.name)).toEqual(['list', 'read']);
    expect(tools.body.tools[0]).toMatchObject({ title: 'List', description: 'The list tool', inputSchema: { type: 'object' }, outputSchema: null, annotations: null });
  });

  it('removes a server: gone by name and id, listed with include=removed, history and ?at= still readable by id', async () => {
    const beforeRemoval = headPosition(gh);
    const removed = await gh.api('DELETE', '/api/servers/files');
    expect(removed.status).toBe(204);
    expectProblem(await gh.api('GET', '/api/servers/files'), 404, 'SERVER_NOT_FOUND');
    expectProblem(await gh.api('GET', `/api/servers/${id}`), 404, 'SERVER_NOT_FOUND');
    expectProblem(await gh.api('DELETE', '/api/servers/files'), 404, 'SERVER_NOT_FOUND');
    expect((await gh.api('GET', '/api/servers')).body.servers.map((s: { name: string }) => s.name)).toEqual(['remote']);
    const all = await gh.api('GET', '/api/servers?include=removed');
    expect(all.body.servers.find((s: { id: string }) => s.id === id)).toMatchObject({ status: 'removed', name: 'files' });
    const history = await gh.api('GET', `/api/servers/${id}/history`);
    expect(history.body.events.at(-1).type).toBe('ServerRemoved');
    expect((await gh.api('GET', `/api/servers/${id}?at=${beforeRemoval}`)).body).toMatchObject({ name: 'files', status: 'active' });

    const restored = await gh.api('POST', `/api/servers/${id}/revert`, { to: beforeRemoval });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ name: 'files', status: 'active', env: { FILES_TOKEN: '••••0001' } });
    expect(restored.body.appended.map((e: { type: string }) => e.type)).toEqual(['ServerRestored']);
    expect((await gh.api('GET', '/api/servers/files')).status).toBe(200);
  });

  it('records who did what: actor, correlation id and time on every event', async () => {
    const count = eventCount(gh);
    const patched = await gh.api('PATCH', '/api/servers/files', { description: 'traced' }, { 'X-Correlation-Id': 'e2e-corr-servers-1' });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('x-correlation-id')).toBe('e2e-corr-servers-1');
    expect(eventCount(gh)).toBe(count + 1);
    const events = await allEvents(gh);
    expect(events.at(-1)).toMatchObject({ type: 'ServerReconfigured', metadata: { actor: 'admin', correlationId: 'e2e-corr-servers-1', causationId: null } });
    for (const event of events) {
      expect(event.metadata).toEqual({ actor: expect.any(String), correlationId: expect.any(String), causationId: null, recordedAt: expect.any(String) });
      expect(new Date(event.metadata.recordedAt).toISOString()).toBe(event.metadata.recordedAt);
    }
    const generated = await gh.api('PATCH', '/api/servers/files', { description: 'traced again' }, { 'X-Correlation-Id': 'not valid!' });
    const correlationId = generated.headers.get('x-correlation-id');
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await allEvents(gh)).at(-1)?.metadata.correlationId).toBe(correlationId);
  });
});
