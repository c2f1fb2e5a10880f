import type { Application } from '../../src/infrastructure/application';
import type { CommandContext } from '../../src/infrastructure/commands/handle-command';
import type { InlineProjection } from '../../src/infrastructure/eventstore';
import { ENTITIES } from '../../src/infrastructure/application';
import { createSqliteDataSource } from '../../src/infrastructure/persistence/data-source';
import { ProfileSlugHistory1764800000000 } from '../../src/infrastructure/persistence/migrations/1764800000000-ProfileSlugHistory';
import { CONFIGURATION_PROJECTIONS } from '../../src/infrastructure/readmodels';
import { openTestApplication } from '../support/application';
import { recordDiscoveredTools, tool } from '../support/discovery';
import { dumpReadModels, READ_MODEL_TABLES } from '../support/read-models';
import { StoredRows } from '../support/sqlite';
import { makeTempDir } from '../support/temp-dir';

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
const runHistory = async (app: Application, now: () => Date): Promise<void> => {
  const as = (correlationId: string, extra: Partial<CommandContext> = {}): CommandContext => ({ actor: 'admin', correlationId, now, ...extra });
  const head = async () => app.store.headPosition();
  const { servers, profiles, apiKeys, settings } = app.commands;

  const files = (await servers.register({ name: 'files', transport: 'stdio', command: 'node', args: ['files.js'], env: { TOKEN: 'files-token-0001', LOG_LEVEL: 'debug' } }, as('c1'))).result.state;
  const web = (await servers.register({ name: 'web', transport: 'streamable_http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Key': 'web-key-00000002' }, bearerToken: 'web-bearer-0003' }, as('c2'))).result.state;
  const scratch = (await servers.register({ name: 'scratch', transport: 'sse', url: 'http://127.0.0.1:9/sse' }, as('c3'))).result.state;
  const ids = [files, web, scratch].map((state) => (state.status === 'active' ? state.serverId : ''));
  const [filesId, webId, scratchId] = ids;
  await recordDiscoveredTools(app, filesId, [tool('read'), tool('write'), tool('list')]);
  await recordDiscoveredTools(app, webId, [tool('fetch'), tool('search')]);
  await recordDiscoveredTools(app, filesId, [tool('read'), tool('write'), tool('list'), tool('stat')]);
  await servers.reconfigure(webId, { name: 'web2', description: 'The web', bearerToken: 'web-bearer-rotated-4' }, as('c4'));
  const serversBefore = await head();

  const dev = (await profiles.create({ slug: 'dev', name: 'Dev', description: 'Developers' }, as('c5'))).result.state;
  const ops = (await profiles.create({ slug: 'ops', toolPrefix: 'on_conflict', auth: { queryParam: true } }, as('c6'))).result.state;
  const [devId, opsId] = [dev, ops].map((state) => (state.status === 'active' ? state.profileId : ''));
  for (const serverId of [filesId, webId, scratchId]) await profiles.attach(devId, serverId, 'active', as('c7'));
  await profiles.attach(opsId, webId, 'inactive', as('c8'));
  await profiles.attach(opsId, scratchId, 'active', as('c9'));
  await profiles.attach(opsId, webId, 'active', as('c10'));
  await profiles.setTool(devId, filesId, 'write', { status: 'inactive' }, as('c11'));
  await profiles.setTool(devId, filesId, 'read', { name: 'cat', title: 'Cat', description: 'Reads a file', annotations: { readOnlyHint: true } }, as('c12'));
  await profiles.setTool(devId, webId, 'fetch', { description: 'Fetches' }, as('c13'));
  await profiles.setTool(devId, webId, 'not-yet', { status: 'inactive' }, as('c14'));
  await profiles.setTool(opsId, scratchId, 'x', { name: 'ex' }, as('c15'));
  const devConfigured = await head();
  await profiles.setTool(devId, filesId, 'read', { title: null, annotations: null }, as('c16'));
  await profiles.setTool(devId, webId, 'fetch', { description: null }, as('c17'));
  await profiles.update(devId, { name: 'Development', description: null, debugLogging: true, auth: { apiKey: false } }, as('c18'));
  await profiles.detach(devId, scratchId, as('c19'));

  await profiles.delete(devId, as('c20'));
  const secondDev = (await profiles.create({ slug: 'dev', name: 'Second dev' }, as('c21'))).result.state;
  await profiles.update(opsId, { slug: 'operations' }, as('c22'));
  await profiles.delete(secondDev.status === 'active' ? secondDev.profileId : '', as('c23'));
  await profiles.revert(devId, devConfigured, as('c24'));

  await servers.remove(scratchId, as('c25'));
  await servers.revert(scratchId, serversBefore, as('c26'));
  await profiles.attach(devId, scratchId, 'inactive', as('c27'));
  await servers.revert(webId, serversBefore - 1, as('c28'));

  const ci = await apiKeys.issue({ name: 'ci', profiles: ['dev', 'operations'] }, as('c29'));
  await apiKeys.issue({ name: 'all', profiles: ['*'], expiresAt: '2099-01-01T00:00:00Z' }, as('c30'));
  await apiKeys.revoke(ci.keyId, as('c31'));

  await settings.change({ requestTimeoutMs: 5_000, upstreamAllowedHosts: ['example.com'] }, as('c32'));
  await settings.change({ requestTimeoutMs: 6_000, logRetentionDays: 2 }, as('c33'));
  await profiles.revert(opsId, 0, as('c34'));
};

describe('replaying the log', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let db: Application;
  let stored: StoredRows;

  beforeAll(async () => {
    dir = makeTempDir();
    db = await openTestApplication(dir.path);
    stored = new StoredRows(`${dir.path}/gatehouse.db`);
    await runHistory(db, clock());
  });

  afterAll(async () => {
    stored.close();
    await db.close();
    dir.cleanup();
  });

  it('ran a history that touches every read model and every event type that the commands can append', async () => {
    const incremental = dumpReadModels(stored);
    for (const table of Object.keys(READ_MODEL_TABLES)) expect(incremental[table].length).toBeGreaterThan(0);
    const types = new Set((await db.store.readAll()).map((event) => event.type));
    expect([...types].sort()).toEqual([
      'ApiKeyIssued', 'ApiKeyRevoked', 'ProfileCreated', 'ProfileDeleted', 'ProfileRestored', 'ProfileUpdated', 'ServerAttached',
      'ServerDetached', 'ServerReconfigured', 'ServerRegistered', 'ServerRemoved', 'ServerRenamed', 'ServerRestored', 'ServerStatusChanged',
      'ServerToolsDiscovered', 'SettingsChanged', 'ToolOverridden', 'ToolOverrideCleared', 'ToolStatusChanged',
    ]);
  });

  it('rebuilds to exactly the incrementally built rows, and twice in a row gives the same rows', async () => {
    const incremental = dumpReadModels(stored);
    const count = await db.store.rebuild();
    expect(count).toBe(stored.get<{ n: number }>('SELECT COUNT(*) AS n FROM events')?.n);
    const first = dumpReadModels(stored);
    await db.store.rebuild();
    const second = dumpReadModels(stored);
    expect(first).toEqual(incremental);
    expect(second).toEqual(first);
  });

  it('gives the same rows when every event is applied twice (projections are idempotent)', async () => {
    const expected = dumpReadModels(stored);
    const twice = CONFIGURATION_PROJECTIONS.map(
      (projection): InlineProjection => ({
        ...projection,
        apply: async (event, manager) => {
          await projection.apply(event, manager);
          await projection.apply(event, manager);
        },
      }),
    );
    await db.store.rebuild(twice);
    expect(dumpReadModels(stored)).toEqual(expected);
  });

  it('rebuilds from emptied tables and from tables holding garbage alike', async () => {
    const expected = dumpReadModels(stored);
    await db.database.write(async (manager) => {
      await manager.query(`INSERT INTO profiles (id, slug, name, tool_prefix, auth_api_key, auth_query_param, debug_logging, status, version, created_at, updated_at)
        VALUES ('stray', 'stray', 'Stray', 'always', 1, 0, 0, 'active', 1, 'x', 'x')`);
      await manager.query(`DELETE FROM profile_servers`);
      await manager.query(`UPDATE servers SET name = name || '-broken'`);
    });
    await db.store.rebuild();
    expect(dumpReadModels(stored)).toEqual(expected);
  });

  it('the profile_slugs migration fills the table from the log exactly as the projection does', async () => {
    const expected = dumpReadModels(stored).profile_slugs;
    expect(expected.length).toBeGreaterThan(2);
    const dataSource = createSqliteDataSource(`${dir.path}/gatehouse.db`, ENTITIES);
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('DROP TABLE profile_slugs');
      await new ProfileSlugHistory1764800000000().up(runner);
    } finally {
      await runner.release();
      await dataSource.destroy();
    }
    expect(dumpReadModels(stored).profile_slugs).toEqual(expected);
  });

  it('rebuilds in small batches to the same rows', async () => {
    const expected = dumpReadModels(stored);
    await db.store.rebuild(undefined, 7);
    expect(dumpReadModels(stored)).toEqual(expected);
  });

  it('a second database fed the same log builds the same read models', async () => {
    const other = makeTempDir();
    const copy = await openTestApplication(other.path);
    const copied = new StoredRows(`${other.path}/gatehouse.db`);
    try {
      for (const event of await db.store.readAll()) {
        await copy.store.append(event.streamId, [{ id: event.id, type: event.type, data: event.data }], event.version - 1, event.metadata);
      }
      expect(dumpReadModels(copied)).toEqual(dumpReadModels(stored));
    } finally {
      copied.close();
      await copy.close();
      other.cleanup();
    }
  });
});
