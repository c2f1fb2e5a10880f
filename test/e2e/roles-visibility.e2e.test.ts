import { connectClient, EVERYTHING_SERVER } from '../support/mcp-client';
import { eventCount } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';
import { SessionClient } from '../support/session-client';

jest.setTimeout(180_000);

const PASSWORDS = { olivia: 'owner password 0123', ada: 'admin password 4567', mia: 'member password 89', max: 'member password 10' };

describe('roles, owners and visibility of profiles and servers, keys that belong to users', () => {
  let gh: TestGatehouse;
  const signedIn: Record<string, SessionClient> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    gh = await startTestGatehouse();
    for (const [name, role] of [['olivia', 'owner'], ['ada', 'admin'], ['mia', 'member'], ['max', 'member']] as const) {
      const created = await gh.api('POST', '/api/users', { name, role, password: PASSWORDS[name] });
      ids[name] = created.body.id;
      signedIn[name] = new SessionClient(gh.url);
      expect((await signedIn[name].signIn(name, PASSWORDS[name])).status).toBe(201);
    }
    const { ada } = signedIn;
    for (const slug of ['team', 'secret']) expect((await ada.write('POST', '/api/profiles', { slug })).status).toBe(201);
    const server = await ada.write('POST', '/api/servers', { name: 'fast', transport: 'stdio', command: process.execPath, args: [EVERYTHING_SERVER] });
    expect(server.status).toBe(201);
    expect((await ada.write('PUT', '/api/profiles/team/servers/fast', { status: 'active' })).status).toBe(201);
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('makes whoever creates a profile or server its owner, private, with the user as the events\' actor', async () => {
    const access = await signedIn.ada.request('GET', '/api/profiles/team/access');
    expect(access.body).toEqual({ owner: { id: ids.ada, name: 'ada' }, visibility: 'private', sharedWithUsers: [], sharedWithRoles: [], version: 1 });
    expect((await signedIn.ada.request('GET', '/api/servers/fast/access')).body.owner).toEqual({ id: ids.ada, name: 'ada' });
    const events = await gh.api('GET', '/api/events?type=AccessChanged');
    expect(events.body.events.map((e: { metadata: { actor: string } }) => e.metadata.actor)).toEqual(Array(3).fill(`user:ada/${ids.ada}`));
    // Made with the admin token: nobody's, private to admins.
    expect((await gh.api('POST', '/api/profiles', { slug: 'ops' })).status).toBe(201);
    expect((await gh.api('GET', '/api/profiles/ops/access')).body).toMatchObject({ owner: null, visibility: 'private', version: 0 });
  });

  it('shows a member only what is shared with it or its role; the rest is "not found"', async () => {
    const { mia, max, ada } = signedIn;
    expect((await mia.request('GET', '/api/profiles')).body.profiles).toEqual([]);
    expectProblem(await mia.request('GET', '/api/profiles/team'), 404, 'PROFILE_NOT_FOUND');
    const shared = await ada.write('PUT', '/api/profiles/team/access', { owner: 'ada', visibility: 'shared', sharedWithUsers: ['mia'], sharedWithRoles: [] });
    expect(shared.status).toBe(200);
    expect(shared.body.sharedWithUsers).toEqual([{ id: ids.mia, name: 'mia' }]);
    expect((await mia.request('GET', '/api/profiles')).body.profiles.map((p: { slug: string }) => p.slug)).toEqual(['team']);
    expect((await mia.request('GET', '/api/profiles/team')).status).toBe(200);
    expect((await mia.request('GET', '/api/profiles/team/tools')).status).toBe(200);
    expectProblem(await mia.request('GET', '/api/profiles/secret'), 404, 'PROFILE_NOT_FOUND');
    expectProblem(await max.request('GET', '/api/profiles/team'), 404, 'PROFILE_NOT_FOUND');
    // Servers likewise; sharing with the member role opens it to every member.
    expect((await max.request('GET', '/api/servers')).body.servers).toEqual([]);
    expect((await ada.write('PUT', '/api/servers/fast/access', { owner: 'ada', visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['member'] })).status).toBe(200);
    expect((await max.request('GET', '/api/servers')).body.servers.map((s: { name: string }) => s.name)).toEqual(['fast']);
    expect((await max.request('GET', '/api/servers/fast/tools')).status).toBe(200);
    // Admins and owners see everything.
    expect((await signedIn.olivia.request('GET', '/api/profiles')).body.profiles).toHaveLength(3);
  });

  it('keeps members to reading and to their own keys', async () => {
    const { mia } = signedIn;
    const before = eventCount(gh);
    expectProblem(await mia.write('PATCH', '/api/profiles/team', { description: 'mine now' }), 403, 'FORBIDDEN');
    expectProblem(await mia.write('POST', '/api/profiles', { slug: 'mias' }), 403, 'FORBIDDEN');
    expectProblem(await mia.write('PUT', '/api/profiles/team/access', { owner: 'mia', visibility: 'private', sharedWithUsers: [], sharedWithRoles: [] }), 403, 'FORBIDDEN');
    expectProblem(await mia.request('GET', '/api/profiles/team?at=1'), 403, 'FORBIDDEN');
    expectProblem(await mia.request('GET', '/api/events'), 403, 'FORBIDDEN');
    expectProblem(await mia.request('GET', '/api/settings'), 403, 'FORBIDDEN');
    expectProblem(await mia.request('GET', '/api/export'), 403, 'FORBIDDEN');
    expectProblem(await mia.write('POST', '/api/keys', { name: 'all', profiles: ['*'] }), 403, 'FORBIDDEN');
    expectProblem(await mia.write('POST', '/api/keys', { name: 'secret', profiles: ['secret'] }), 404, 'PROFILE_NOT_FOUND');
    expect(eventCount(gh)).toBe(before);
  });

  it('gives a key to its issuer; a member sees only its own; the key opens the shared profile until its owner is disabled', async () => {
    const { mia, ada } = signedIn;
    const issued = await mia.write('POST', '/api/keys', { name: 'mias laptop', profiles: ['team'] });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ ownerId: ids.mia, profiles: ['team'] });
    const adas = await ada.write('POST', '/api/keys', { name: 'adas', profiles: ['*'] });
    expect(adas.body.ownerId).toBe(ids.ada);
    expect((await mia.request('GET', '/api/keys')).body.keys.map((k: { id: string }) => k.id)).toEqual([issued.body.id]);
    expectProblem(await mia.request('GET', `/api/keys/${adas.body.id}`), 404, 'APIKEY_NOT_FOUND');
    expectProblem(await mia.write('DELETE', `/api/keys/${adas.body.id}`), 404, 'APIKEY_NOT_FOUND');
    expect((await ada.request('GET', '/api/keys')).body.keys).toHaveLength(2);

    const client = await connectClient(gh.url, 'team', { key: issued.body.key });
    try {
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    const initialize = () =>
      fetch(`${gh.url}/mcp/team`, {
        method: 'POST',
        headers: { authorization: `Bearer ${issued.body.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
    expect((await initialize()).status).toBe(200);
    expect((await signedIn.olivia.write('PATCH', '/api/users/mia', { status: 'disabled' })).status).toBe(200);
    const started = Date.now();
    expect((await initialize()).status).toBe(401);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await mia.request('GET', '/api/me')).status).toBe(401);
    expect((await signedIn.olivia.write('PATCH', '/api/users/mia', { status: 'enabled' })).status).toBe(200);
    expect((await initialize()).status).toBe(200);
  });

  it('refuses bad access settings, changing nothing', async () => {
    const { ada } = signedIn;
    const before = eventCount(gh);
    const put = (body: unknown) => ada.write('PUT', '/api/profiles/secret/access', body);
    expectProblem(await put({ owner: 'nobody', visibility: 'private', sharedWithUsers: [], sharedWithRoles: [] }), 404, 'USER_NOT_FOUND');
    expectProblem(await put({ owner: null, visibility: 'private', sharedWithUsers: ['mia'], sharedWithRoles: [] }), 400, 'INVALID_ARGUMENT');
    expectProblem(await put({ owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: [] }), 400, 'INVALID_ARGUMENT');
    expectProblem(await put({ owner: null, visibility: 'public', sharedWithUsers: [], sharedWithRoles: [] }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ owner: null, visibility: 'shared', sharedWithUsers: [], sharedWithRoles: ['root'] }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ visibility: 'private' }), 400, 'VALIDATION_FAILED');
    expectProblem(await ada.write('PUT', '/api/profiles/nope/access', { owner: null, visibility: 'private', sharedWithUsers: [], sharedWithRoles: [] }), 404, 'PROFILE_NOT_FOUND');
    expect(eventCount(gh)).toBe(before);
  });
});
