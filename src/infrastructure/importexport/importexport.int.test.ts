import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTestApplication } from '../../../test/support/application';
import { makeTempDir } from '../../../test/support/temp-dir';
import type { Application } from '../application';
import { isPlainEnvValue } from '../../domain/server';
import { serverRowToSnapshot, serverRowToView } from '../readmodels/server';
import { type ConfigDocument, exportConfig, exportEventLines, ImportRefusedError, parseImportDocument } from '.';

const context = () => ({ actor: 'test', correlationId: randomUUID() });

const SECRETS = { API_KEY: 'files-api-key-0001', TOKEN: 'remote-bearer-0002', HEADER: 'remote-header-0003', DB_PASSWORD: 'db-password-0004' };

const claudeConfig = {
  mcpServers: {
    files: { command: 'node', args: ['server.js', '--root', '/srv'], env: { API_KEY: SECRETS.API_KEY, DB_PASSWORD: SECRETS.DB_PASSWORD, LOG_LEVEL: 'debug' }, cwd: '/srv' },
    remote: { type: 'http', url: 'https://mcp.example.com/mcp', headers: { 'X-Api-Key': SECRETS.HEADER }, bearerToken: SECRETS.TOKEN, timeoutMs: 5000 },
    legacy: { type: 'sse', url: 'http://localhost:3001/sse', description: 'Old SSE server' },
  },
  gatehouse: {
    profiles: {
      dev: {
        name: 'Development',
        toolPrefix: 'on_conflict',
        servers: [{ name: 'files' }, { name: 'remote', status: 'inactive' }],
        tools: [{ server: 'files', tool: 'delete', status: 'inactive' }, { server: 'files', tool: 'write', name: 'save', title: 'Save a file' }],
      },
    },
  },
};

/** A Claude Desktop file as it is on disk, `globalShortcut` and `preferences` included. */
const claudeDesktopFile = JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/claude_desktop_config.json'), 'utf8')) as unknown;

type Database = { ctx: Application; cleanup: () => Promise<void> };

const open = async (): Promise<Database> => {
  const dir = makeTempDir();
  const ctx = await openTestApplication(dir.path);
  return { ctx, cleanup: async () => (await ctx.close(), dir.cleanup()) };
};

const importJson = async (ctx: Application, document: unknown, profile?: string) =>
  ctx.commands.importDocument(parseImportDocument(JSON.parse(JSON.stringify(document))), { profile }, context());

/** The export without its position and time, which differ from one database to another. */
const exported = async (ctx: Application): Promise<Omit<ConfigDocument, 'gatehouse'> & { profiles: unknown }> => {
  const { mcpServers, gatehouse } = await ctx.exports.config();
  return { mcpServers, profiles: gatehouse.profiles };
};

const plaintext = async (ctx: Application, name: string, field: 'env' | 'headers', key: string): Promise<string> => {
  const row = await ctx.queries.servers.find(name);
  const value = serverRowToSnapshot(row!)[field][key];
  return isPlainEnvValue(value) ? value.plain : ctx.secrets.open(value);
};

/** Replaces every mask in an exported document by the plaintext it stands for. */
const unmask = (document: ConfigDocument): ConfigDocument =>
  JSON.parse(JSON.stringify(document), (key, value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith('••••')) return value;
    return Object.values(SECRETS).find((secret) => secret.endsWith(value.slice(4)));
  }) as ConfigDocument;

describe('import and export', () => {
  let a: Database;

  beforeEach(async () => {
    a = await open();
  });

  afterEach(async () => {
    await a.cleanup();
  });

  it('imports a Claude Desktop document, and the same document again appends nothing', async () => {
    const first = await importJson(a.ctx, claudeConfig);
    expect(first.servers.map(({ name, action }) => [name, action])).toEqual([['files', 'registered'], ['remote', 'registered'], ['legacy', 'registered']]);
    expect(first.appended).toBeGreaterThan(3);
    const head = await a.ctx.store.headPosition();

    const second = await importJson(a.ctx, claudeConfig);
    expect(second.servers.map(({ action }) => action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(second.appended).toBe(0);
    expect(await a.ctx.store.headPosition()).toBe(head);
    expect(await plaintext(a.ctx, 'remote', 'headers', 'X-Api-Key')).toBe(SECRETS.HEADER);
  });

  it('reconfigures a server whose entry changed, transport included', async () => {
    await importJson(a.ctx, claudeConfig);
    const changed = { mcpServers: { files: { url: 'https://files.example.com/mcp' } } };
    const result = await importJson(a.ctx, changed);
    expect(result).toMatchObject({ servers: [{ name: 'files', action: 'reconfigured' }], appended: 1 });
    expect((await exported(a.ctx)).mcpServers.files).toEqual({ type: 'http', url: 'https://files.example.com/mcp' });
  });

  it('refuses a document with a bad entry whole, appending nothing', async () => {
    const bad = { mcpServers: { good: { command: 'node' }, broken: { type: 'sse' }, 'bad name': { command: 'x' } } };
    await expect(importJson(a.ctx, bad)).rejects.toBeInstanceOf(ImportRefusedError);
    expect(await a.ctx.store.headPosition()).toBe(0);
  });

  it('attaches every imported server to a profile, once', async () => {
    await importJson(a.ctx, { mcpServers: {}, gatehouse: { profiles: { ops: {} } } });
    const first = await importJson(a.ctx, { mcpServers: { one: { command: 'a' }, two: { url: 'http://localhost:1/mcp' } } }, 'ops');
    expect(first).toMatchObject({ attachedTo: 'ops', appended: 4 });
    expect((await exported(a.ctx)).profiles).toMatchObject({ ops: { servers: [{ name: 'one', status: 'active' }, { name: 'two', status: 'active' }] } });
    expect((await importJson(a.ctx, { mcpServers: { one: { command: 'a' } } }, 'ops')).appended).toBe(0);
  });

  it('creates the profile to attach to when it does not exist, in the same import under one correlation id', async () => {
    const correlationId = randomUUID();
    const result = await a.ctx.commands.importDocument(parseImportDocument(claudeDesktopFile), { profile: 'desk' }, { actor: 'test', correlationId });
    expect(result).toMatchObject({ dryRun: false, profiles: [{ slug: 'desk', id: expect.any(String), action: 'created' }], attachedTo: 'desk', appended: 7 });
    const events = await a.ctx.store.readAll();
    expect(events.map((event) => event.type)).toEqual([
      'ServerRegistered', 'ServerRegistered', 'ServerRegistered', 'ProfileCreated', 'ServerAttached', 'ServerAttached', 'ServerAttached',
    ]);
    expect(events.map((event) => event.metadata.correlationId)).toEqual(Array(7).fill(correlationId));
    expect((await exported(a.ctx)).profiles).toEqual({
      desk: {
        name: 'desk', description: null, toolPrefix: 'always', toolExposure: 'all', adaptiveToolLimit: 20, auth: { apiKey: true, queryParam: false }, debugLogging: false, tools: [],
        servers: [{ name: 'filesystem', status: 'active' }, { name: 'github', status: 'active' }, { name: 'linear', status: 'active' }],
      },
    });
    expect((await importJson(a.ctx, claudeDesktopFile, 'desk')).appended).toBe(0);
  });

  describe('a dry run', () => {
    const WARNING = 'ignored top-level fields "globalShortcut", "preferences": only mcpServers and gatehouse are imported';
    const dryRun = (document: unknown, profile?: string) =>
      a.ctx.commands.importDocument(parseImportDocument(JSON.parse(JSON.stringify(document))), { profile, dryRun: true }, context());

    it('tells what the import of a Claude Desktop file would do, appends nothing, and the import then does that', async () => {
      const planned = await dryRun(claudeDesktopFile, 'desk');
      const registered = { id: null, action: 'registered', changed: [], secretsReplaced: [], secretsDropped: [] };
      expect(planned).toEqual({
        dryRun: true,
        servers: [{ name: 'filesystem', ...registered }, { name: 'github', ...registered }, { name: 'linear', ...registered }],
        profiles: [{ slug: 'desk', id: null, action: 'created' }],
        attachedTo: 'desk',
        appended: 0,
        wouldAppend: 7,
        warnings: [WARNING],
      });
      expect(await a.ctx.store.headPosition()).toBe(0);
      expect(await a.ctx.queries.profiles.findBySlug('desk')).toBeNull();

      const applied = await importJson(a.ctx, claudeDesktopFile, 'desk');
      expect(applied).toMatchObject({ dryRun: false, servers: planned.servers.map(({ name, action }) => ({ name, action })), appended: 7, warnings: [WARNING] });
      expect(await dryRun(claudeDesktopFile, 'desk')).toMatchObject({
        servers: [{ action: 'unchanged', id: applied.servers[0].id }, { action: 'unchanged' }, { action: 'unchanged' }],
        profiles: [{ slug: 'desk', id: applied.profiles[0].id, action: 'unchanged' }],
        wouldAppend: 0,
      });
    });

    it('names the fields a reconfiguration changes and the secrets it replaces or drops, never their values', async () => {
      await importJson(a.ctx, claudeConfig);
      const head = await a.ctx.store.headPosition();
      const changed = {
        mcpServers: {
          files: { command: 'node', args: ['server.js'], env: { API_KEY: 'replacement-value-9999' }, cwd: '/srv' },
          remote: { type: 'http', url: 'https://mcp.example.com/mcp', headers: { 'X-Api-Key': '••••0003' }, timeoutMs: 5000 },
          legacy: claudeConfig.mcpServers.legacy,
        },
      };
      const planned = await dryRun(changed);
      expect(planned.servers.map(({ name, action, changed: fields, secretsReplaced, secretsDropped }) => ({ name, action, fields, secretsReplaced, secretsDropped }))).toEqual([
        { name: 'files', action: 'reconfigured', fields: ['args', 'env'], secretsReplaced: ['env.API_KEY'], secretsDropped: ['env.DB_PASSWORD'] },
        { name: 'remote', action: 'reconfigured', fields: ['bearerToken'], secretsReplaced: [], secretsDropped: ['bearerToken'] },
        { name: 'legacy', action: 'unchanged', fields: [], secretsReplaced: [], secretsDropped: [] },
      ]);
      expect(planned).toMatchObject({ profiles: [], attachedTo: null, appended: 0, wouldAppend: 2, warnings: [] });
      const text = JSON.stringify(planned);
      for (const secret of ['replacement-value-9999', ...Object.values(SECRETS)]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/"enc"|"fp"|••••/);
      expect(await a.ctx.store.headPosition()).toBe(head);
      expect((await importJson(a.ctx, changed)).appended).toBe(2);
    });

    it('is refused as the import would be, appending nothing', async () => {
      await expect(dryRun({ mcpServers: { web: { url: 'https://x.example/mcp', bearerToken: '••••1234' } } })).rejects.toMatchObject({
        errors: [{ field: 'mcpServers.web.bearerToken' }],
      });
      expect(await a.ctx.store.headPosition()).toBe(0);
    });
  });

  it('keeps masked secrets on re-import, and brings a changed server back', async () => {
    await importJson(a.ctx, claudeConfig);
    const document = (await a.ctx.exports.config());
    expect(JSON.stringify(document)).not.toContain(SECRETS.API_KEY);
    expect(document.mcpServers.files).toMatchObject({ env: { API_KEY: '••••0001', DB_PASSWORD: '••••0004', LOG_LEVEL: 'debug' } });
    expect((await importJson(a.ctx, document)).appended).toBe(0);

    const files = await a.ctx.queries.servers.find('files');
    await a.ctx.commands.servers.reconfigure(files!.id, { args: [], env: { API_KEY: 'another-value', DB_PASSWORD: SECRETS.DB_PASSWORD, LOG_LEVEL: 'debug' } }, context());
    const restored = await importJson(a.ctx, document);
    expect(restored).toMatchObject({ servers: [{ name: 'files', action: 'reconfigured' }, { action: 'unchanged' }, { action: 'unchanged' }] });
    // The mask keeps the secret the server has now; everything else is as exported.
    expect((await exported(a.ctx)).mcpServers.files).toEqual({ ...document.mcpServers.files, env: { API_KEY: '••••alue', DB_PASSWORD: '••••0004', LOG_LEVEL: 'debug' } });
    expect(await plaintext(a.ctx, 'files', 'env', 'API_KEY')).toBe('another-value');
    expect((await importJson(a.ctx, document)).appended).toBe(0);
  });

  it('brings a changed profile back: servers, tool settings, swapped override names', async () => {
    const withNames = structuredClone(claudeConfig);
    withNames.gatehouse.profiles.dev.tools = [{ server: 'files', tool: 'write', name: 'save', title: 'Save a file' }, { server: 'files', tool: 'delete', name: 'remove', title: 'Remove' }];
    await importJson(a.ctx, withNames);
    const document = (await a.ctx.exports.config());
    const profileId = (await a.ctx.queries.profiles.findBySlug('dev'))!.id;
    const id = async (name: string) => (await a.ctx.queries.servers.find(name))!.id;
    await a.ctx.commands.profiles.attach(profileId, await id('legacy'), 'active', context());
    await a.ctx.commands.profiles.setTool(profileId, await id('files'), 'write', { name: null }, context());
    await a.ctx.commands.profiles.setTool(profileId, await id('files'), 'delete', { name: 'save', status: 'inactive' }, context());
    await a.ctx.commands.profiles.setTool(profileId, await id('files'), 'write', { name: 'remove' }, context());
    await a.ctx.commands.profiles.setTool(profileId, await id('legacy'), 'ping', { status: 'inactive' }, context());
    expect((await exported(a.ctx)).profiles).not.toEqual(document.gatehouse.profiles);

    expect((await importJson(a.ctx, document)).appended).toBeGreaterThan(0);
    expect((await exported(a.ctx)).profiles).toEqual(document.gatehouse.profiles);
    expect((await importJson(a.ctx, document)).appended).toBe(0);
  });

  describe('env secrecy', () => {
    const tuned = { command: 'node', env: { LOG_LEVEL: { value: 'debug', secret: true }, AUTH_MODE: { value: 'oauth', secret: false }, NODE_ENV: 'production', API_KEY: 'k-0123456789abcdef' } };
    const view = async () => serverRowToView((await a.ctx.queries.servers.find('tuned'))!);

    it('is decided by the rule for a string and as told for {value, secret}, and the export round-trips it', async () => {
      await importJson(a.ctx, { mcpServers: { tuned } });
      expect(await view()).toMatchObject({
        env: { LOG_LEVEL: '••••', AUTH_MODE: 'oauth', NODE_ENV: 'production', API_KEY: '••••cdef' },
        envSecret: ['LOG_LEVEL', 'API_KEY'],
      });
      const document = await a.ctx.exports.config();
      expect(document.mcpServers.tuned.env).toEqual({
        LOG_LEVEL: { value: '••••', secret: true },
        AUTH_MODE: { value: 'oauth', secret: false },
        NODE_ENV: 'production',
        API_KEY: '••••cdef',
      });
      expect((await importJson(a.ctx, document)).appended).toBe(0);
    });

    it('keeps a masked variable, sealing a plain one that is now told secret, and refuses to make a masked secret plain', async () => {
      await importJson(a.ctx, { mcpServers: { tuned } });
      await importJson(a.ctx, { mcpServers: { tuned: { ...tuned, env: { ...tuned.env, NODE_ENV: { value: '••••', secret: true } } } } });
      expect(await view()).toMatchObject({ env: { NODE_ENV: '••••' }, envSecret: ['LOG_LEVEL', 'NODE_ENV', 'API_KEY'] });
      expect(await plaintext(a.ctx, 'tuned', 'env', 'NODE_ENV')).toBe('production');
      const reveal = { mcpServers: { tuned: { ...tuned, env: { ...tuned.env, API_KEY: { value: '••••cdef', secret: false } } } } };
      await expect(importJson(a.ctx, reveal)).rejects.toMatchObject({ errors: [{ field: 'mcpServers.tuned.env.API_KEY' }] });
    });
  });

  it('refuses a mask for a secret the server does not have', async () => {
    await importJson(a.ctx, claudeConfig);
    const masked = { mcpServers: { legacy: { type: 'sse', url: 'http://localhost:3001/sse', bearerToken: '••••9999' } } };
    await expect(importJson(a.ctx, masked)).rejects.toMatchObject({ errors: [{ field: 'mcpServers.legacy.bearerToken' }] });
  });

  describe('into a fresh database', () => {
    let b: Database;

    beforeEach(async () => {
      b = await open();
      await importJson(a.ctx, claudeConfig);
    });

    afterEach(async () => {
      await b.cleanup();
    });

    it('gives the same servers and profiles', async () => {
      const result = await importJson(b.ctx, unmask((await a.ctx.exports.config())));
      expect(result.servers.every((server) => server.action === 'registered')).toBe(true);
      expect((await exported(b.ctx))).toEqual(await exported(a.ctx));
      expect(await plaintext(b.ctx, 'remote', 'headers', 'X-Api-Key')).toBe(SECRETS.HEADER);
    });

    it('refuses masks, which have nothing to keep there, naming each', async () => {
      const refusal = importJson(b.ctx, (await a.ctx.exports.config()));
      await expect(refusal).rejects.toBeInstanceOf(ImportRefusedError);
      const fields = ((await refusal.catch((error: unknown) => error)) as ImportRefusedError).errors.map((error) => error.field);
      expect(fields).toEqual(['mcpServers.files.env.API_KEY', 'mcpServers.files.env.DB_PASSWORD', 'mcpServers.remote.headers.X-Api-Key', 'mcpServers.remote.bearerToken']);
      expect(await b.ctx.store.headPosition()).toBe(0);
    });
  });

  it('exports the log as one masked JSON line per event', async () => {
    await importJson(a.ctx, claudeConfig);
    let text = '';
    for await (const chunk of exportEventLines(a.ctx.store, 2)) text += chunk;
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as { position: number; type: string });
    expect(lines.map((line) => line.position)).toEqual(Array.from({ length: await a.ctx.store.headPosition() }, (_, i) => i + 1));
    expect(lines[0]).toMatchObject({ type: 'ServerRegistered', data: { name: 'files', env: { API_KEY: '••••0001' } }, metadata: { actor: 'test' } });
    expect(text).not.toContain('"enc"');
    expect(text).not.toContain(SECRETS.API_KEY);
  });
});
