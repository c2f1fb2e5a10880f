import { issueApiKey, revokeApiKey } from '../../src/infrastructure/commands/apikey.commands';
import type { GatehouseContext } from '../../src/infrastructure/commands/context';
import type { CommandContext } from '../../src/infrastructure/commands/handle-command';
import {
  attachServer, createProfile, deleteProfile, detachServer, revertProfile, setTool, updateProfile,
} from '../../src/infrastructure/commands/profile.commands';
import { reconfigureServer, registerServer, removeServer, revertServer } from '../../src/infrastructure/commands/server.commands';
import { changeSettings } from '../../src/infrastructure/commands/settings.commands';
import { openDatabase, type OpenedDatabase } from '../../src/infrastructure/database';
import type { InlineProjection } from '../../src/infrastructure/eventstore';
import { CONFIGURATION_PROJECTIONS } from '../../src/infrastructure/projections';
import { recordDiscoveredTools, tool } from '../support/discovery';
import { dumpReadModels, READ_MODEL_TABLES } from '../support/read-models';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

/** A fixed clock, so that timestamps differ from event to event and do not depend on the machine. */
const clock = (start = Date.parse('2026-01-01T00:00:00Z')) => {
  let now = start;
  return () => new Date((now += 1_000));
};

/**
 * A realistic history through the command services: servers registered, renamed, reconfigured
 * (secrets too), their tools discovered, profiles with links and tool settings, a deleted
 * profile brought back, a removed server detached from every profile and restored, keys issued
 * and revoked, settings changed.
 */
const runHistory = async (ctx: GatehouseContext, now: () => Date): Promise<void> => {
  const as = (correlationId: string, extra: Partial<CommandContext> = {}): CommandContext => ({ actor: 'admin', correlationId, now, ...extra });
  const head = async () => ctx.store.headPosition();

  const files = (await registerServer(ctx, { name: 'files', transport: 'stdio', command: 'node', args: ['files.js'], env: { TOKEN: 'files-token-0001' } }, as('c1'))).state;
  const web = (await registerServer(ctx, { name: 'web', transport: 'streamable_http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Key': 'web-key-00000002' }, bearerToken: 'web-bearer-0003' }, as('c2'))).state;
  const scratch = (await registerServer(ctx, { name: 'scratch', transport: 'sse', url: 'http://127.0.0.1:9/sse' }, as('c3'))).state;
  const ids = [files, web, scratch].map((state) => (state.status === 'active' ? state.serverId : ''));
  const [filesId, webId, scratchId] = ids;
  await recordDiscoveredTools(ctx, filesId, [tool('read'), tool('write'), tool('list')]);
  await recordDiscoveredTools(ctx, webId, [tool('fetch'), tool('search')]);
  await recordDiscoveredTools(ctx, filesId, [tool('read'), tool('write'), tool('list'), tool('stat')]);
  await reconfigureServer(ctx, webId, { name: 'web2', description: 'The web', bearerToken: 'web-bearer-rotated-4' }, as('c4'));
  const serversBefore = await head();

  const dev = (await createProfile(ctx, { slug: 'dev', name: 'Dev', description: 'Developers' }, as('c5'))).state;
  const ops = (await createProfile(ctx, { slug: 'ops', toolPrefix: 'on_conflict', auth: { queryParam: true } }, as('c6'))).state;
  const [devId, opsId] = [dev, ops].map((state) => (state.status === 'active' ? state.profileId : ''));
  for (const serverId of [filesId, webId, scratchId]) await attachServer(ctx, devId, serverId, 'active', as('c7'));
  await attachServer(ctx, opsId, webId, 'inactive', as('c8'));
  await attachServer(ctx, opsId, scratchId, 'active', as('c9'));
  await attachServer(ctx, opsId, webId, 'active', as('c10'));
  await setTool(ctx, devId, filesId, 'write', { status: 'inactive' }, as('c11'));
  await setTool(ctx, devId, filesId, 'read', { name: 'cat', title: 'Cat', description: 'Reads a file', annotations: { readOnlyHint: true } }, as('c12'));
  await setTool(ctx, devId, webId, 'fetch', { description: 'Fetches' }, as('c13'));
  await setTool(ctx, devId, webId, 'not-yet', { status: 'inactive' }, as('c14'));
  await setTool(ctx, opsId, scratchId, 'x', { name: 'ex' }, as('c15'));
  const devConfigured = await head();
  await setTool(ctx, devId, filesId, 'read', { title: null, annotations: null }, as('c16'));
  await setTool(ctx, devId, webId, 'fetch', { description: null }, as('c17'));
  await updateProfile(ctx, devId, { name: 'Development', description: null, debugLogging: true, auth: { apiKey: false } }, as('c18'));
  await detachServer(ctx, devId, scratchId, as('c19'));

  await deleteProfile(ctx, devId, as('c20'));
  const secondDev = (await createProfile(ctx, { slug: 'dev', name: 'Second dev' }, as('c21'))).state;
  await updateProfile(ctx, opsId, { slug: 'operations' }, as('c22'));
  await deleteProfile(ctx, secondDev.status === 'active' ? secondDev.profileId : '', as('c23'));
  await revertProfile(ctx, devId, devConfigured, as('c24'));

  await removeServer(ctx, scratchId, as('c25'));
  await revertServer(ctx, scratchId, serversBefore, as('c26'));
  await attachServer(ctx, devId, scratchId, 'inactive', as('c27'));
  await revertServer(ctx, webId, serversBefore - 1, as('c28'));

  const ci = await issueApiKey(ctx, { name: 'ci', profiles: ['dev', 'operations'] }, as('c29'));
  await issueApiKey(ctx, { name: 'all', profiles: ['*'], expiresAt: '2099-01-01T00:00:00Z' }, as('c30'));
  await revokeApiKey(ctx, ci.keyId, as('c31'));

  await changeSettings(ctx, { requestTimeoutMs: 5_000, upstreamAllowedHosts: ['example.com'] }, as('c32'));
  await changeSettings(ctx, { requestTimeoutMs: 6_000, logRetentionDays: 2 }, as('c33'));
  await revertProfile(ctx, opsId, 0, as('c34'));
};

describe('replaying the log', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let db: OpenedDatabase;
  let ctx: GatehouseContext;

  beforeAll(async () => {
    dir = makeTempDir();
    db = await openDatabase({ database: `${dir.path}/gatehouse.db`, dataDir: dir.path, secretKey: TEST_SECRET_KEY });
    ctx = { store: db.store, sql: db.sql, dataSource: db.dataSource, secrets: db.secrets };
    await runHistory(ctx, clock());
  });

  afterAll(async () => {
    await db.close();
    dir.cleanup();
  });

  it('ran a history that touches every read model and every event type that the commands can append', async () => {
    const incremental = dumpReadModels(db.sql);
    for (const table of Object.keys(READ_MODEL_TABLES)) expect(incremental[table].length).toBeGreaterThan(0);
    const types = new Set((await db.store.readAll()).map((event) => event.type));
    expect([...types].sort()).toEqual([
      'ApiKeyIssued', 'ApiKeyRevoked', 'ProfileCreated', 'ProfileDeleted', 'ProfileRestored', 'ProfileUpdated', 'ServerAttached',
      'ServerDetached', 'ServerReconfigured', 'ServerRegistered', 'ServerRemoved', 'ServerRenamed', 'ServerRestored', 'ServerStatusChanged',
      'ServerToolsDiscovered', 'SettingsChanged', 'ToolOverridden', 'ToolOverrideCleared', 'ToolStatusChanged',
    ]);
  });

  it('rebuilds to exactly the incrementally built rows, and twice in a row gives the same rows', () => {
    const incremental = dumpReadModels(db.sql);
    const count = db.store.rebuild();
    expect(count).toBe(db.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM events')?.n);
    const first = dumpReadModels(db.sql);
    db.store.rebuild();
    const second = dumpReadModels(db.sql);
    expect(first).toEqual(incremental);
    expect(second).toEqual(first);
  });

  it('gives the same rows when every event is applied twice (projections are idempotent)', () => {
    const expected = dumpReadModels(db.sql);
    const twice = CONFIGURATION_PROJECTIONS.map(
      (projection): InlineProjection => ({ ...projection, apply: (event, sql) => (projection.apply(event, sql), projection.apply(event, sql)) }),
    );
    db.store.rebuild(twice);
    expect(dumpReadModels(db.sql)).toEqual(expected);
  });

  it('rebuilds from emptied tables and from tables holding garbage alike', () => {
    const expected = dumpReadModels(db.sql);
    db.sql.run(`INSERT INTO profiles (id, slug, name, tool_prefix, auth_api_key, auth_query_param, debug_logging, status, version, created_at, updated_at)
      VALUES ('stray', 'stray', 'Stray', 'always', 1, 0, 0, 'active', 1, 'x', 'x')`);
    db.sql.run(`DELETE FROM profile_servers`);
    db.sql.run(`UPDATE servers SET name = name || '-broken'`);
    db.store.rebuild();
    expect(dumpReadModels(db.sql)).toEqual(expected);
  });

  it('rebuilds in small batches to the same rows', () => {
    const expected = dumpReadModels(db.sql);
    db.store.rebuild(undefined, 7);
    expect(dumpReadModels(db.sql)).toEqual(expected);
  });

  it('a second database fed the same log builds the same read models', async () => {
    const other = makeTempDir();
    const copy = await openDatabase({ database: `${other.path}/gatehouse.db`, dataDir: other.path, secretKey: TEST_SECRET_KEY });
    try {
      for (const event of await db.store.readAll()) {
        await copy.store.append(event.streamId, [{ id: event.id, type: event.type, data: event.data }], event.version - 1, event.metadata);
      }
      expect(dumpReadModels(copy.sql)).toEqual(dumpReadModels(db.sql));
    } finally {
      await copy.close();
      other.cleanup();
    }
  });
});
