import { recordDiscoveredTools, tool } from '../support/discovery';
import { afterClockTick, allEvents, eventCount, headPosition } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';

const types = (events: readonly { type: string }[]): string[] => events.map((e) => e.type);

describe('/api/profiles', () => {
  let gh: TestGatehouse;
  let alpha: string;
  let beta: string;
  beforeAll(async () => {
    gh = await startTestGatehouse();
    alpha = (await gh.api('POST', '/api/servers', { name: 'alpha', transport: 'stdio', command: 'node', args: ['alpha.js'] })).body.id;
    beta = (await gh.api('POST', '/api/servers', { name: 'beta', transport: 'streamable_http', url: 'http://127.0.0.1:9/mcp' })).body.id;
    await recordDiscoveredTools(gh.app, alpha, [tool('echo'), tool('add')]);
  });
  afterAll(async () => {
    await gh.stop();
  });

  let profileId: string;
  let createdAt: number;

  it('creates a profile: 201, Location, ETag, defaults filled in', async () => {
    const created = await gh.api('POST', '/api/profiles', { slug: 'dev', name: 'Dev', description: 'Dev tools' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/profiles/dev');
    expect(created.headers.get('etag')).toBe('"1"');
    profileId = created.body.id;
    expect(created.body).toMatchObject({
      slug: 'dev', name: 'Dev', description: 'Dev tools', toolPrefix: 'always', auth: { apiKey: true, queryParam: false },
      debugLogging: false, servers: [], status: 'active', version: 1,
    });
    createdAt = headPosition(gh);
    const second = await gh.api('POST', '/api/profiles', { slug: 'ops' });
    expect(second.body).toMatchObject({ slug: 'ops', name: 'ops', description: null });
    expectProblem(await gh.api('POST', '/api/profiles', { slug: 'dev' }), 409, 'PROFILE_SLUG_TAKEN');
  });

  it('lists and reads profiles', async () => {
    const list = await gh.api('GET', '/api/profiles');
    expect(list.status).toBe(200);
    expect(list.body.profiles.map((p: { slug: string }) => p.slug)).toEqual(['dev', 'ops']);
    const one = await gh.api('GET', '/api/profiles/dev');
    expect(one.headers.get('etag')).toBe('"1"');
    expect(one.body).toEqual(list.body.profiles[0]);
  });

  it('patches settings field by field; null clears the description; auth is merged', async () => {
    const patched = await gh.api('PATCH', '/api/profiles/dev', { description: null, auth: { queryParam: true }, debugLogging: true });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"2"');
    expect(patched.body).toMatchObject({ name: 'Dev', description: null, auth: { apiKey: true, queryParam: true }, debugLogging: true, version: 2 });
    const unchanged = await gh.api('PATCH', '/api/profiles/dev', { name: 'Dev' });
    expect(unchanged.body.version).toBe(2);
  });

  it('attaches servers (201), changes a link status (200), and detaches (204)', async () => {
    const first = await gh.api('PUT', '/api/profiles/dev/servers/alpha');
    expect(first.status).toBe(201);
    expect(first.body.servers).toEqual([{ id: alpha, name: 'alpha', status: 'active' }]);
    const second = await gh.api('PUT', `/api/profiles/dev/servers/${beta}`, { status: 'inactive' });
    expect(second.status).toBe(201);
    expect(second.body.servers).toEqual([{ id: alpha, name: 'alpha', status: 'active' }, { id: beta, name: 'beta', status: 'inactive' }]);

    const count = eventCount(gh);
    const same = await gh.api('PUT', '/api/profiles/dev/servers/beta', { status: 'inactive' });
    expect(same.status).toBe(200);
    expect(eventCount(gh)).toBe(count);
    const activated = await gh.api('PUT', '/api/profiles/dev/servers/beta', { status: 'active' });
    expect(activated.status).toBe(200);
    expect(activated.body.servers[1]).toEqual({ id: beta, name: 'beta', status: 'active' });
    expect(activated.headers.get('etag')).toBe(`"${activated.body.version}"`);

    expect((await gh.api('DELETE', '/api/profiles/dev/servers/beta')).status).toBe(204);
    expect((await gh.api('GET', '/api/profiles/dev')).body.servers).toEqual([{ id: alpha, name: 'alpha', status: 'active' }]);
    expectProblem(await gh.api('DELETE', '/api/profiles/dev/servers/beta'), 404, 'SERVER_NOT_ATTACHED');
  });

  it('lists the effective tools of the profile', async () => {
    const tools = await gh.api('GET', '/api/profiles/dev/tools');
    expect(tools.status).toBe(200);
    expect(tools.headers.get('etag')).toBe(`"${tools.body.version}"`);
    expect(tools.body.tools.map((t: { exposedName: string }) => t.exposedName)).toEqual(['alpha__add', 'alpha__echo']);
    expect(tools.body.tools[1]).toMatchObject({
      serverId: alpha, serverName: 'alpha', originalName: 'echo', status: 'active', discovered: true, title: 'Echo',
      overrides: { name: null, title: null, description: null, annotations: null },
    });
  });

  it('patches a tool: overrides and status, then null clears each override', async () => {
    const set = await gh.api('PATCH', '/api/profiles/dev/tools/alpha/echo', {
      status: 'inactive', name: 'say', title: 'Say', description: 'Says it', annotations: { readOnlyHint: true },
    });
    expect(set.status).toBe(200);
    expect(set.headers.get('etag')).toBe(`"${set.body.version}"`);
    expect(set.body.tool).toMatchObject({
      exposedName: 'say', originalName: 'echo', status: 'inactive', toolStatus: 'inactive', title: 'Say', description: 'Says it',
      annotations: { readOnlyHint: true }, overrides: { name: 'say', title: 'Say', description: 'Says it', annotations: { readOnlyHint: true } },
    });

    const cleared = await gh.api('PATCH', '/api/profiles/dev/tools/alpha/echo', { title: null, annotations: null });
    expect(cleared.body.tool).toMatchObject({
      exposedName: 'say', title: 'Echo', description: 'Says it', annotations: null,
      overrides: { name: 'say', title: null, description: 'Says it', annotations: null },
    });

    const byDefault = await gh.api('PATCH', `/api/profiles/dev/tools/${alpha}/echo`, { name: null, description: null, status: 'active' });
    expect(byDefault.body.tool).toMatchObject({
      exposedName: 'alpha__echo', status: 'active', title: 'Echo', description: 'The echo tool',
      overrides: { name: null, title: null, description: null, annotations: null },
    });
    expect(gh.sql.all('SELECT * FROM profile_tools WHERE profile_id = ?', profileId)).toEqual([]);

    const undiscovered = await gh.api('PATCH', '/api/profiles/dev/tools/beta/later', { status: 'inactive' });
    expect(undiscovered.status).toBe(200);
    expect(undiscovered.body.tool).toBeNull();

    const history = await gh.api('GET', '/api/profiles/dev/history');
    expect(types(history.body.events).slice(-6)).toEqual([
      'ToolStatusChanged', 'ToolOverridden', 'ToolOverridden', 'ToolStatusChanged', 'ToolOverrideCleared', 'ToolStatusChanged',
    ]);
  });

  it('keeps the profile history, shows past states by position and by time, and brings a deleted profile back', async () => {
    await gh.api('PATCH', '/api/profiles/dev/tools/alpha/add', { name: 'plus' });
    const beforeDelete = headPosition(gh);
    const beforeDeleteTime = await afterClockTick();
    const current = (await gh.api('GET', '/api/profiles/dev')).body;

    expect((await gh.api('DELETE', '/api/profiles/dev')).status).toBe(204);
    expectProblem(await gh.api('GET', '/api/profiles/dev'), 404, 'PROFILE_NOT_FOUND');
    expectProblem(await gh.api('GET', '/api/profiles/dev/tools'), 404, 'PROFILE_NOT_FOUND');
    expect((await gh.api('GET', '/api/profiles')).body.profiles.map((p: { slug: string }) => p.slug)).toEqual(['ops']);

    const byPosition = await gh.api('GET', `/api/profiles/dev?at=${beforeDelete}`);
    expect(byPosition.status).toBe(200);
    expect(byPosition.headers.get('etag')).toBe(`"${current.version}"`);
    expect(byPosition.body).toMatchObject({ id: profileId, slug: 'dev', servers: current.servers, version: current.version, at: beforeDelete });
    const byTime = await gh.api('GET', `/api/profiles/dev?at=${encodeURIComponent(beforeDeleteTime)}`);
    expect(byTime.body).toMatchObject({ id: profileId, version: current.version, at: beforeDelete });
    const atCreation = await gh.api('GET', `/api/profiles/dev?at=${createdAt}`);
    expect(atCreation.body).toMatchObject({ description: 'Dev tools', auth: { apiKey: true, queryParam: false }, servers: [], version: 1 });
    const offset = await gh.api('GET', `/api/profiles/dev?at=${encodeURIComponent(beforeDeleteTime.replace('Z', '+00:00'))}`);
    expect(offset.body.at).toBe(beforeDelete);
    expectProblem(await gh.api('GET', `/api/profiles/dev?at=${headPosition(gh)}`), 404, 'PROFILE_NOT_FOUND');
    expectProblem(await gh.api('GET', '/api/profiles/dev?at=2000-01-01'), 404, 'PROFILE_NOT_FOUND');

    const history = await gh.api('GET', '/api/profiles/dev/history');
    expect(history.status).toBe(200);
    expect(history.body.profileId).toBe(profileId);
    expect(history.body.events.at(-1)).toMatchObject({ type: 'ProfileDeleted', data: { profileId, slug: 'dev' } });

    const restored = await gh.api('POST', '/api/profiles/dev/revert', { to: beforeDelete });
    expect(restored.status).toBe(200);
    expect(types(restored.body.appended)).toEqual(['ProfileRestored']);
    expect(restored.body).toMatchObject({ id: profileId, slug: 'dev', status: 'active', servers: current.servers, skippedServers: [] });
    const tools = await gh.api('GET', '/api/profiles/dev/tools');
    expect(tools.body.tools.map((t: { exposedName: string }) => t.exposedName)).toEqual(['plus', 'alpha__echo']);
    expect((await gh.api('GET', '/api/profiles/dev')).status).toBe(200);
  });

  it('reverts an active profile to its creation: settings, links and tool settings undone', async () => {
    const reverted = await gh.api('POST', '/api/profiles/dev/revert', { to: createdAt });
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ description: 'Dev tools', auth: { apiKey: true, queryParam: false }, debugLogging: false, servers: [] });
    expect(types(reverted.body.appended).sort()).toEqual(['ProfileUpdated', 'ServerDetached', 'ToolOverrideCleared', 'ToolStatusChanged']);
    expect(reverted.headers.get('etag')).toBe(`"${reverted.body.version}"`);
  });

  it('reverting to a position before the profile existed deletes it', async () => {
    const reverted = await gh.api('POST', '/api/profiles/ops/revert', { to: 0 });
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ slug: 'ops', status: 'deleted' });
    expect(types(reverted.body.appended)).toEqual(['ProfileDeleted']);
    expectProblem(await gh.api('GET', '/api/profiles/ops'), 404, 'PROFILE_NOT_FOUND');
  });

  it('shows the profile that had a slug at a position, even when the slug has moved to another profile since', async () => {
    const first = (await gh.api('POST', '/api/profiles', { slug: 'moving', name: 'First holder' })).body;
    const firstAt = headPosition(gh);
    expect((await gh.api('PATCH', '/api/profiles/moving', { slug: 'moved' })).status).toBe(200);
    const renamedAt = headPosition(gh);
    expect((await gh.api('GET', `/api/profiles/moving?at=${renamedAt}`)).status).toBe(404);
    const second = (await gh.api('POST', '/api/profiles', { slug: 'moving', name: 'Second holder' })).body;

    expect((await gh.api('GET', `/api/profiles/moving?at=${firstAt}`)).body).toMatchObject({ id: first.id, name: 'First holder', at: firstAt });
    expect((await gh.api('GET', `/api/profiles/moved?at=${firstAt}`)).status).toBe(404);
    expect((await gh.api('GET', `/api/profiles/moved?at=${renamedAt}`)).body).toMatchObject({ id: first.id, slug: 'moved' });
    expect((await gh.api('GET', `/api/profiles/moving?at=${headPosition(gh)}`)).body).toMatchObject({ id: second.id, name: 'Second holder' });

    expect((await gh.api('DELETE', '/api/profiles/moving')).status).toBe(204);
    expect((await gh.api('GET', `/api/profiles/moving?at=${firstAt}`)).body).toMatchObject({ id: first.id });
    expect((await gh.api('GET', `/api/profiles/moving?at=${headPosition(gh) - 1}`)).body).toMatchObject({ id: second.id });
    expect((await gh.api('GET', `/api/profiles/moving?at=${headPosition(gh)}`)).status).toBe(404);
  });

  it('removing a server detaches it from every profile in the same transaction', async () => {
    const shared = (await gh.api('POST', '/api/servers', { name: 'shared', transport: 'stdio', command: 'node' })).body.id;
    const slugs = ['p1', 'p2', 'p3'];
    for (const slug of slugs) {
      expect((await gh.api('POST', '/api/profiles', { slug })).status).toBe(201);
      expect((await gh.api('PUT', `/api/profiles/${slug}/servers/alpha`)).status).toBe(201);
      expect((await gh.api('PUT', `/api/profiles/${slug}/servers/shared`, { status: 'inactive' })).status).toBe(201);
    }
    const versions = await Promise.all(slugs.map(async (slug) => (await gh.api('GET', `/api/profiles/${slug}`)).body.version as number));
    const head = headPosition(gh);

    expect((await gh.api('DELETE', '/api/servers/shared', undefined, { 'X-Correlation-Id': 'remove-shared' })).status).toBe(204);

    const appended = await allEvents(gh, '').then((events) => events.filter((e) => e.position > head));
    expect(types(appended)).toEqual(['ServerRemoved', 'ServerDetached', 'ServerDetached', 'ServerDetached']);
    expect(appended.map((e) => e.position)).toEqual([head + 1, head + 2, head + 3, head + 4]);
    expect(new Set(appended.map((e) => JSON.stringify(e.metadata))).size).toBe(1);
    expect(appended[0].metadata.correlationId).toBe('remove-shared');
    expect(appended.slice(1).map((e) => e.data)).toEqual(
      expect.arrayContaining(slugs.map(() => expect.objectContaining({ serverId: shared, reason: 'server_removed' }))),
    );
    for (const [index, slug] of slugs.entries()) {
      const profile = (await gh.api('GET', `/api/profiles/${slug}`)).body;
      expect(profile.servers).toEqual([{ id: alpha, name: 'alpha', status: 'active' }]);
      expect(profile.version).toBe(versions[index] + 1);
    }
    expect(gh.sql.all('SELECT * FROM profile_servers WHERE server_id = ?', shared)).toEqual([]);
  });
});
