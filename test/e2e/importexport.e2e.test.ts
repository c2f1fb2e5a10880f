import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allEvents, eventCount } from '../support/events';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { expectProblem } from '../support/problem';

/** A Claude Desktop file as it is on disk, `globalShortcut` and `preferences` included. */
const claudeDesktopFile = () =>
  JSON.parse(readFileSync(join(__dirname, '../fixtures/claude_desktop_config.json'), 'utf8')) as { mcpServers: Record<string, Record<string, unknown>> };
const IGNORED = 'ignored top-level fields "globalShortcut", "preferences": only mcpServers and gatehouse are imported';

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
    const registered = { id: expect.any(String), action: 'registered', changed: [], secretsReplaced: [], secretsDropped: [] };
    expect(first.body).toEqual({
      dryRun: false,
      servers: [{ name: 'files', ...registered }, { name: 'remote', ...registered }],
      profiles: [{ slug: 'dev', id: expect.any(String), action: 'updated' }],
      attachedTo: 'dev',
      appended: 4,
      warnings: [],
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
    expect(response.body).toMatchObject({ servers: [{ name: 'files', action: 'unchanged' }], profiles: [{ slug: 'fresh', action: 'created' }], attachedTo: 'fresh', appended: 2 });
    expect((await gh.api('GET', '/api/profiles/fresh')).body).toMatchObject({ slug: 'fresh', name: 'fresh', servers: [{ name: 'files', status: 'active' }] });
  });

  it.each([
    ['a bad slug', '/api/import?profile=Not%20A%20Slug', 400, 'INVALID_QUERY', 'profile must be a profile slug (^[a-z0-9][a-z0-9-]{0,62}$)'],
    ['an unknown query parameter', '/api/import?dry_run=true', 400, 'INVALID_QUERY', 'Unknown query parameter dry_run; expected profile, dryRun'],
    ['a dryRun that is not true or false', '/api/import?dryRun=1', 400, 'INVALID_QUERY', 'Query parameter dryRun must be true or false'],
    ['a bare dryRun', '/api/import?dryRun', 400, 'INVALID_QUERY', 'Query parameter dryRun must be true or false'],
  ])('answers %s with a problem', async (_, path, status, code, detail) => {
    const before = eventCount(gh);
    const body = expectProblem(await gh.api('POST', path, { mcpServers: { never: { command: 'x' } } }), status, code);
    expect(body.detail).toBe(detail);
    expect(eventCount(gh)).toBe(before);
  });

  it('refuses a backup with secrets (CLI only: its passphrase must not travel over HTTP), appending nothing', async () => {
    const backup = {
      backup: { format: 'gatehouse-backup', version: 1, cipher: 'aes-256-gcm', kdf: { name: 'scrypt', N: 131072, r: 8, p: 1, salt: 'AAAAAAAAAAAAAAAAAAAAAA' }, verifier: 'x', mac: 'y' },
      mcpServers: { restored: { command: 'node', env: { API_KEY: { sealed: 'AAAA' } } } },
    };
    const before = eventCount(gh);
    for (const path of ['/api/import', '/api/import?dryRun=true']) {
      const body = expectProblem(await gh.api('POST', path, backup), 400, 'BACKUP_NOT_ACCEPTED');
      expect(body.detail).toContain('gatehouse import <file>');
      expect(body.detail).toContain('GATEHOUSE_BACKUP_PASSPHRASE');
    }
    expect(eventCount(gh)).toBe(before);
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

  describe('a real Claude Desktop file', () => {
    it('answers a dry run with what the import would do, appends nothing, and the import then does that', async () => {
      const before = eventCount(gh);
      const planned = await gh.api('POST', '/api/import?profile=desk&dryRun=true', claudeDesktopFile());
      expect(planned.status).toBe(200);
      const registered = { id: null, action: 'registered', changed: [], secretsReplaced: [], secretsDropped: [] };
      expect(planned.body).toEqual({
        dryRun: true,
        servers: [{ name: 'filesystem', ...registered }, { name: 'github', ...registered }, { name: 'linear', ...registered }],
        profiles: [{ slug: 'desk', id: null, action: 'created' }],
        attachedTo: 'desk',
        appended: 0,
        wouldAppend: 7,
        warnings: [IGNORED],
      });
      expect(eventCount(gh)).toBe(before);
      expectProblem(await gh.api('GET', '/api/profiles/desk'), 404, 'PROFILE_NOT_FOUND');

      const applied = await gh.api('POST', '/api/import?profile=desk&dryRun=false', claudeDesktopFile());
      expect(applied.body).toMatchObject({ dryRun: false, profiles: [{ slug: 'desk', action: 'created' }], appended: 7, warnings: [IGNORED] });
      expect(eventCount(gh)).toBe(before + 7);
      const appended = (await allEvents(gh)).slice(before);
      expect(new Set(appended.map((event) => event.metadata.correlationId)).size).toBe(1);
      expect((await gh.api('GET', '/api/profiles/desk')).body.servers.map((link: { name: string }) => link.name)).toEqual(['filesystem', 'github', 'linear']);
    });

    it('names in a dry run the secrets a reconfiguration would replace, never their values', async () => {
      const file = claudeDesktopFile();
      file.mcpServers.github.env = { GITHUB_PERSONAL_ACCESS_TOKEN: 'github-token-rotated-0002' };
      const before = eventCount(gh);
      const planned = await gh.api('POST', '/api/import?dryRun=true', file);
      expect(planned.body).toMatchObject({
        servers: [
          { name: 'filesystem', action: 'unchanged' },
          { name: 'github', id: expect.any(String), action: 'reconfigured', changed: ['env'], secretsReplaced: ['env.GITHUB_PERSONAL_ACCESS_TOKEN'], secretsDropped: [] },
          { name: 'linear', action: 'unchanged' },
        ],
        wouldAppend: 1,
      });
      expect(JSON.stringify(planned.body)).not.toMatch(/github-token|"enc"|••••/);
      expect(eventCount(gh)).toBe(before);
    });

    it('still refuses an unknown field inside a server entry, naming it, and appends nothing', async () => {
      const file = claudeDesktopFile();
      file.mcpServers.github.disabled = false;
      const before = eventCount(gh);
      for (const path of ['/api/import', '/api/import?dryRun=true']) {
        const body = expectProblem(await gh.api('POST', path, file), 400, 'IMPORT_INVALID');
        expect(body.errors).toEqual([
          { field: 'mcpServers.github.disabled', messages: ['unknown field; expected one of type, transport, command, args, env, cwd, url, headers, description, bearerToken, timeoutMs, toolPinning, credentials, approvedTools'] },
        ]);
      }
      expect(eventCount(gh)).toBe(before);
    });
  });
});
