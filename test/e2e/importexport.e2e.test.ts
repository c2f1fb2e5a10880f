import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';

const document = {
  mcpServers: {
    files: { command: 'node', args: ['server.js'], env: { API_KEY: 'files-api-key-0001' } },
    remote: { type: 'streamableHttp', url: 'https://mcp.example.com/mcp', bearerToken: 'remote-bearer-0002' },
  },
};

describe('/api/import and /api/export', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startTestGatehouse();
    await gh.api('POST', '/api/profiles', { slug: 'dev' });
  });
  afterAll(async () => {
    await gh.stop();
  });

  it('imports a document into a profile, and the same document again appends nothing', async () => {
    const first = await gh.api('POST', '/api/import?profile=dev', document);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      servers: [
        { name: 'files', id: expect.any(String), action: 'registered' },
        { name: 'remote', id: expect.any(String), action: 'registered' },
      ],
      attachedTo: 'dev',
      appended: 4,
    });
    const again = await gh.api('POST', '/api/import?profile=dev', document);
    expect(again.body).toMatchObject({ servers: [{ action: 'unchanged' }, { action: 'unchanged' }], appended: 0 });
    const events = await gh.api('GET', '/api/events?type=ServerRegistered');
    expect(events.body.events.map((event: { metadata: { actor: string } }) => event.metadata.actor)).toEqual(['admin', 'admin']);
  });

  it('refuses a document with bad entries, naming each, and appends nothing', async () => {
    const before = (await gh.api('GET', '/api/events?limit=1000')).body.events.length;
    const bad = { mcpServers: { ok: { command: 'x' }, 'no good': { command: 'x' }, web: { type: 'ftp', url: 'ftp://x' } } };
    const body = expectProblem(await gh.api('POST', '/api/import', bad), 400, 'IMPORT_INVALID');
    expect(body.errors.map((error: { field: string }) => error.field)).toEqual(['mcpServers.no good', 'mcpServers.web.type', 'mcpServers.web.url']);
    expect((await gh.api('GET', '/api/events?limit=1000')).body.events).toHaveLength(before);
  });

  it.each([
    ['a NUL in a command', { bad: { command: 'node\u0000--x' } }, 'command'],
    ['a line break in an argument', { bad: { command: 'node', args: ['a\nb'] } }, 'args[0]'],
    ['a NUL in an env value', { bad: { command: 'node', env: { A: 'x\u0000' } } }, 'env.A'],
    ['CRLF in a header value', { bad: { type: 'streamableHttp', url: 'https://mcp.example.com/mcp', headers: { 'X-A': 'v\r\nX-B: 1' } } }, 'headers.X-A'],
  ])('refuses a document with %s, naming the field, and appends nothing', async (_, mcpServers, field) => {
    const before = (await gh.api('GET', '/api/events?limit=1000')).body.events.length;
    const response = await gh.api('POST', '/api/import', { mcpServers });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain(field);
    expect((await gh.api('GET', '/api/events?limit=1000')).body.events).toHaveLength(before);
  });

  it('creates the profile to attach to when it does not exist', async () => {
    const response = await gh.api('POST', '/api/import?profile=fresh', { mcpServers: { files: document.mcpServers.files } });
    expect(response.body).toMatchObject({ servers: [{ name: 'files', action: 'unchanged' }], attachedTo: 'fresh', appended: 2 });
    expect((await gh.api('GET', '/api/profiles/fresh')).body).toMatchObject({ slug: 'fresh', name: 'fresh', servers: [{ name: 'files', status: 'active' }] });
  });

  it.each([
    ['a bad slug', '/api/import?profile=Not%20A%20Slug', 400, 'INVALID_QUERY'],
    ['an unknown query parameter', '/api/import?dryRun=1', 400, 'INVALID_QUERY'],
  ])('answers %s with a problem', async (_, path, status, code) => {
    expectProblem(await gh.api('POST', path, { mcpServers: {} }), status, code);
  });

  it('exports a config document with masked secrets that imports back to the same state', async () => {
    const exported = await gh.api('GET', '/api/export');
    expect(exported.status).toBe(200);
    expect(exported.body.mcpServers).toEqual({
      files: { type: 'stdio', command: 'node', args: ['server.js'], env: { API_KEY: '••••0001' } },
      remote: { type: 'http', url: 'https://mcp.example.com/mcp', bearerToken: '••••0002' },
    });
    expect(exported.body.gatehouse.profiles.dev.servers).toEqual([{ name: 'files', status: 'active' }, { name: 'remote', status: 'active' }]);
    expect((await gh.api('POST', '/api/import', exported.body)).body.appended).toBe(0);
  });

  it('exports the log as JSON lines', async () => {
    const response = await gh.api('GET', '/api/export?format=events');
    expect(response.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (response.body as string).trimEnd().split('\n').map((line) => JSON.parse(line) as { position: number });
    expect(lines.map((line) => line.position)).toEqual(lines.map((_, i) => i + 1));
    expect(response.body).not.toContain('files-api-key-0001');
    expect(response.body).not.toContain('"enc"');
  });

  it('refuses an unknown format', async () => {
    expectProblem(await gh.api('GET', '/api/export?format=yaml'), 400, 'INVALID_QUERY');
  });
});
