import type { Application } from '../../src/infrastructure/application';
import type { InlineProjection } from '../../src/infrastructure/eventstore';
import { ENTITIES } from '../../src/infrastructure/application';
import { createSqliteDataSource } from '../../src/infrastructure/persistence/data-source';
import { ProfileSlugHistory1764800000000 } from '../../src/infrastructure/persistence/migrations/1764800000000-ProfileSlugHistory';
import { CONFIGURATION_PROJECTIONS } from '../../src/infrastructure/readmodels';
import { openTestApplication } from '../support/application';
import { clock, runHistory } from '../support/history';
import { dumpReadModels, READ_MODEL_TABLES } from '../support/read-models';
import { StoredRows } from '../support/sqlite';
import { makeTempDir } from '../support/temp-dir';
import { storageOf } from '../../src/infrastructure/application-storage';

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
      'AccessChanged', 'ApiKeyIssued', 'ApiKeyRevoked', 'OAuthClientRegistered', 'OAuthClientRejected', 'OAuthTokensGranted', 'OAuthTokensRefreshed',
      'OAuthTokensRevoked', 'PersonalAccessTokenIssued', 'PersonalAccessTokenRevoked', 'ProfileCreated', 'ProfileDeleted', 'ProfileRestored', 'ProfileUpdated', 'ServerAttached',
      'ServerDetached', 'ServerReconfigured', 'ServerRegistered', 'ServerRemoved', 'ServerRenamed', 'ServerRestored', 'ServerStatusChanged',
      'ServerToolsDiscovered', 'SettingsChanged', 'ToolApprovalsRestored', 'ToolDefinitionApproved', 'ToolOverridden', 'ToolOverrideCleared', 'ToolStatusChanged',
      'UserCredentialsRemoved', 'UserCredentialsSet', 'UserDisabled', 'UserEnabled',
      'UserOAuthTokensGranted', 'UserOAuthTokensRefreshed', 'UserOAuthTokensRevoked', 'UserPasswordChanged', 'UserRegistered', 'UserRenamed', 'UserRoleChanged',
    ]);
  });

  it('rebuilds to exactly the incrementally built rows, and twice in a row gives the same rows', async () => {
    const incremental = dumpReadModels(stored);
    const count = await storageOf(db).store.rebuild();
    expect(count).toBe(stored.get<{ n: number }>('SELECT COUNT(*) AS n FROM events')?.n);
    const first = dumpReadModels(stored);
    await storageOf(db).store.rebuild();
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
    await storageOf(db).store.rebuild(twice);
    expect(dumpReadModels(stored)).toEqual(expected);
  });

  it('rebuilds from emptied tables and from tables holding garbage alike', async () => {
    const expected = dumpReadModels(stored);
    await storageOf(db).database.write(async (manager) => {
      await manager.query(`INSERT INTO profiles (id, slug, name, tool_prefix, auth_api_key, auth_query_param, debug_logging, status, version, created_at, updated_at)
        VALUES ('stray', 'stray', 'Stray', 'always', 1, 0, 0, 'active', 1, 'x', 'x')`);
      await manager.query(`DELETE FROM profile_servers`);
      await manager.query(`UPDATE servers SET name = name || '-broken'`);
    });
    await storageOf(db).store.rebuild();
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
    await storageOf(db).store.rebuild(undefined, 7);
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
