import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';

describe('configuration walk-through', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('registers a server, creates a profile, attaches, overrides a tool, travels in time and reverts', async () => {
    const server = await gh.api('POST', '/api/servers', { name: 'everything', transport: 'stdio', command: 'node', args: ['e.js'], env: { TOKEN: 'super-secret-token-1234' } });
    expect(server.status).toBe(201);
    expect(server.body.env).toEqual({ TOKEN: '••••1234' });
    const profile = await gh.api('POST', '/api/profiles', { slug: 'dev', name: 'Dev' });
    expect(profile.status).toBe(201);
    const attached = await gh.api('PUT', '/api/profiles/dev/servers/everything', { status: 'active' });
    expect(attached.status).toBe(201);
    expect(attached.body.servers).toEqual([{ id: server.body.id, name: 'everything', status: 'active' }]);
    const afterAttach = (await gh.api('GET', '/api/events?limit=1000')).body.events.at(-1).position;

    const tool = await gh.api('PATCH', '/api/profiles/dev/tools/everything/echo', { name: 'say', description: 'Says it' });
    expect(tool.status).toBe(200);
    expect(tool.body.tool).toMatchObject({ exposedName: 'say', originalName: 'echo', discovered: false });
    const tools = await gh.api('GET', '/api/profiles/dev/tools');
    expect(tools.body.tools).toHaveLength(1);

    expect((await gh.api('DELETE', '/api/profiles/dev')).status).toBe(204);
    expect((await gh.api('GET', '/api/profiles/dev')).status).toBe(404);
    const past = await gh.api('GET', `/api/profiles/dev?at=${afterAttach}`);
    expect(past.status).toBe(200);
    expect(past.body.servers).toHaveLength(1);

    const reverted = await gh.api('POST', '/api/profiles/dev/revert', { to: afterAttach });
    expect(reverted.status).toBe(200);
    expect(reverted.body.servers).toEqual([{ id: server.body.id, name: 'everything', status: 'active' }]);
    expect((await gh.api('GET', '/api/profiles/dev/tools')).body.tools).toHaveLength(0);
    const history = await gh.api('GET', '/api/profiles/dev/history');
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['ProfileCreated', 'ServerAttached', 'ToolOverridden', 'ProfileDeleted', 'ProfileRestored']);
  });

  it('answers bad input with problem+json and appends nothing', async () => {
    const head = (await gh.api('GET', '/api/events?limit=1000')).body.events.length;
    const bad = await gh.api('POST', '/api/servers', { name: 'bad name', transport: 'stdio', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['extra']));
    const noCommand = await gh.api('POST', '/api/servers', { name: 'nocmd', transport: 'stdio' });
    expect(noCommand.status).toBe(400);
    expect(noCommand.body.code).toBe('INVALID_SERVER_CONFIG');
    const big = await gh.api('POST', '/api/servers', { name: 'x', transport: 'stdio', command: 'a'.repeat(1_100_000) });
    expect(big.status).toBe(413);
    const broken = await gh.api('POST', '/api/servers', '{"name": ');
    expect(broken.status).toBe(400);
    expect((await gh.api('GET', '/api/events?limit=1000')).body.events.length).toBe(head);
    expect((await gh.api('GET', '/api/servers', undefined, { authorization: 'Bearer nope' })).status).toBe(401);
  });
});
