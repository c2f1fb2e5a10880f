import type { Application } from '../../src/infrastructure/application';
import type { InlineProjection, StoredEvent } from '../../src/infrastructure/eventstore';
import { openPostgresApplication as openPostgres, openSqliteApplication as openSqlite, type OpenedApplication as Opened } from '../support/application';
import { CONFIGURATION_PROJECTIONS } from '../../src/infrastructure/readmodels';
import { clock, HISTORY_SECRETS, runHistory } from '../support/history';
import { IDENTITY_EVENT_TYPES } from '../support/identity-log';
import { describePostgres } from '../support/postgres';
import { READ_MODEL_TABLES, type ReadModelDump } from '../support/read-models';
import { storageOf } from '../../src/infrastructure/application-storage';

/** Every row of every read model, read through the application's own connection (either backend). */
const dump = async (app: Application): Promise<ReadModelDump> => {
  const entries = await Promise.all(
    Object.entries(READ_MODEL_TABLES).map(async ([table, key]) => [table, await storageOf(app).database.reads.query(`SELECT * FROM ${table} ORDER BY ${key}`)] as const),
  );
  return Object.fromEntries(entries);
};

/** An event's fields, wherever they come from (a getter or a property). */
const fieldsOf = (event: StoredEvent): StoredEvent => ({
  position: event.position, id: event.id, streamId: event.streamId, version: event.version, type: event.type, schemaVersion: event.schemaVersion,
  data: event.data, metadata: event.metadata, recordedAt: event.recordedAt,
});

/** The read models' contract, on each backend: inline projections, replay, secrets at rest. */
const readModelContract = (open: () => Promise<Opened>) => {
  let opened: Opened;

  beforeAll(async () => {
    opened = await open();
    await runHistory(opened.app, clock());
  }, 60_000);

  afterAll(async () => {
    await opened.app.close();
    await opened.cleanup();
  });

  it('projects the history into every read model inline', async () => {
    const rows = await dump(opened.app);
    for (const table of Object.keys(READ_MODEL_TABLES)) expect(rows[table].length).toBeGreaterThan(0);
    expect((rows.profiles as { slug: string }[]).map((row) => row.slug).sort()).toEqual(['dev', 'dev', 'operations']);
  });

  it('rebuilds to exactly the incrementally built rows (the maintenance rebuild finds nothing drifted)', async () => {
    const incremental = await dump(opened.app);
    const report = await opened.app.maintenance.rebuild();
    expect(report.events).toBe(await opened.app.store.headPosition());
    expect(report.changed).toEqual([]);
    expect(await dump(opened.app)).toEqual(incremental);
  });

  it('rebuilds every table from empty: rows the log does not explain, in any read model small or large, are gone', async () => {
    const incremental = await dump(opened.app);
    const postgres = storageOf(opened.app).database.reads.connection.options.type === 'postgres';
    await storageOf(opened.app).database.write(async (manager) => {
      for (const [table, key] of Object.entries(READ_MODEL_TABLES)) {
        // A copy of a row under another key (and slug, name or key hash, which have unique indexes of their own).
        const row = { ...(incremental[table][0] as Record<string, unknown>) };
        for (const column of [key.split(',')[0].trim(), 'slug', 'name', 'key_hash', 'token_hash']) if (typeof row[column] === 'string') row[column] = `stray-${row[column] as string}`;
        const columns = Object.keys(row);
        const placeholders = columns.map((_, index) => (postgres ? `$${index + 1}` : '?')).join(', ');
        await manager.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders})`, columns.map((column) => row[column]));
      }
      // PostgreSQL empties a table of 1 MiB or more another way (TRUNCATE): one table that large, the rest small.
      if (postgres) {
        await manager.query(`INSERT INTO profile_tools (profile_id, server_id, tool_name, status, updated_at) SELECT 'stray-bulk', 'stray', 'tool-' || g, 'active', 'x' FROM generate_series(1, 20000) g`);
        expect(Number((await manager.query(`SELECT pg_relation_size('profile_tools') AS bytes`))[0].bytes)).toBeGreaterThanOrEqual(1024 * 1024);
      }
    });
    const bulk = postgres ? 20_000 : 0;
    for (const table of Object.keys(READ_MODEL_TABLES)) expect((await dump(opened.app))[table].length).toBe(incremental[table].length + 1 + (table === 'profile_tools' ? bulk : 0));
    await storageOf(opened.app).store.rebuild();
    expect(await dump(opened.app)).toEqual(incremental);
  });

  it('builds every read model in memory in a rebuild, to the rows the appends left and a replay statement by statement leaves', async () => {
    expect(CONFIGURATION_PROJECTIONS.filter((projection) => projection.replay === undefined).map((projection) => projection.name)).toEqual([]);
    const logged = new Set((await opened.app.store.readAll()).map((event) => event.type));
    expect(IDENTITY_EVENT_TYPES.filter((type) => !logged.has(type))).toEqual([]);
    const incremental = await dump(opened.app);
    await storageOf(opened.app).store.rebuild(CONFIGURATION_PROJECTIONS.map(({ replay: _inMemory, ...statements }) => statements));
    expect(await dump(opened.app)).toEqual(incremental);
    await storageOf(opened.app).store.rebuild();
    expect(await dump(opened.app)).toEqual(incremental);
  });

  it('hands the projections every event of the log once, in order, as the log reads it, whatever the batch size', async () => {
    const logged = (await opened.app.store.readAll()).map(fieldsOf);
    for (const batchSize of [1, 7, logged.length - 1, logged.length, 5_000]) {
      const seen: StoredEvent[] = [];
      const recorder: InlineProjection = {
        name: 'recorder', eventTypes: new Set(logged.map((event) => event.type)), tables: [],
        apply: async (event) => void seen.push(fieldsOf(event)),
      };
      expect(await storageOf(opened.app).store.rebuild([recorder], batchSize)).toBe(logged.length);
      expect(seen).toEqual(logged);
    }
  });

  it('rebuilds a key issued twice (a log the commands do not write, but the projection takes) as the appends left it', async () => {
    const keyId = 'reissued-key';
    const issued = (name: string) => ({ id: `${name}-${keyId}`, type: 'ApiKeyIssued', data: { keyId, name, hash: `hash-of-${name}`, prefix: 'gh_re', profiles: ['*'], expiresAt: null } });
    const metadata = (recordedAt: string) => ({ actor: 'test', correlationId: recordedAt, causationId: null, recordedAt });
    await opened.app.store.append(`apikey-${keyId}`, [issued('first')], 'no_stream', metadata('2026-02-01T00:00:00.000Z'));
    await opened.app.store.append(`apikey-${keyId}`, [{ id: `revoked-${keyId}`, type: 'ApiKeyRevoked', data: { keyId } }], 1, metadata('2026-02-02T00:00:00.000Z'));
    await opened.app.store.append(`apikey-${keyId}`, [issued('second')], 2, metadata('2026-02-03T00:00:00.000Z'));
    const incremental = await dump(opened.app);
    expect(incremental.api_keys).toContainEqual(expect.objectContaining({ id: keyId, name: 'second', status: 'active', created_at: '2026-02-01T00:00:00.000Z', version: 3 }));
    await storageOf(opened.app).store.rebuild();
    expect(await dump(opened.app)).toEqual(incremental);
  });

  it('rebuilds many profiles whose events are spread over the log to the rows the appends left, whatever the batch size', async () => {
    const { servers, profiles } = opened.app.commands;
    const as = (correlationId: string) => ({ actor: 'admin', correlationId, now: () => new Date('2026-03-01T00:00:00.000Z') });
    const server = (await servers.register({ name: 'takes', transport: 'stdio', command: 'node', args: ['takes.js'] }, as('t0'))).result.state;
    const serverId = server.status === 'active' ? server.serverId : '';
    const created: string[] = [];
    for (let n = 0; n < 14; n++) {
      const state = (await profiles.create({ slug: `takes-${n}` }, as(`t${n}`))).result.state;
      created.push(state.status === 'active' ? state.profileId : '');
    }
    // Each profile's events spread over the log, between the others': the log's order is not the streams'.
    for (const [n, profileId] of created.entries()) await profiles.attach(profileId, serverId, n % 2 === 0 ? 'active' : 'inactive', as(`a${n}`));
    for (const [n, profileId] of created.entries()) await profiles.setTool(profileId, serverId, `tool-${n}`, { description: `Tool ${n}` }, as(`s${n}`));
    await profiles.update(created[3], { slug: 'takes-renamed' }, as('u3'));
    await profiles.delete(created[5], as('d5'));
    const incremental = await dump(opened.app);
    for (const batchSize of [1, 3, 5_000]) {
      expect(await storageOf(opened.app).store.rebuild(undefined, batchSize)).toBe(await opened.app.store.headPosition());
      expect(await dump(opened.app)).toEqual(incremental);
    }
  });

  it('keeps secrets sealed in the log and the read models', async () => {
    const events = (await storageOf(opened.app).database.reads.query('SELECT data FROM events')) as { data: string }[];
    const servers = JSON.stringify(await storageOf(opened.app).database.reads.query('SELECT * FROM servers')) + JSON.stringify(await storageOf(opened.app).database.reads.query('SELECT * FROM user_credentials'));
    for (const secret of HISTORY_SECRETS) {
      expect(events.some((row) => row.data.includes(secret))).toBe(false);
      expect(servers).not.toContain(secret);
    }
  });
};

describe('read models on SQLite', () => readModelContract(openSqlite));

describePostgres('read models on PostgreSQL', () => {
  readModelContract(openPostgres);

  it('builds the same read models from the same log as SQLite does', async () => {
    const sqlite = await openSqlite();
    const postgres = await openPostgres();
    try {
      await runHistory(sqlite.app, clock());
      for (const event of await sqlite.app.store.readAll()) {
        await postgres.app.store.append(event.streamId, [{ id: event.id, type: event.type, data: event.data }], event.version - 1, event.metadata);
      }
      expect(await postgres.app.store.headPosition()).toBe(await sqlite.app.store.headPosition());
      expect(await dump(postgres.app)).toEqual(await dump(sqlite.app));
    } finally {
      await Promise.all([sqlite.app.close(), postgres.app.close()]);
      await Promise.all([sqlite.cleanup(), postgres.cleanup()]);
    }
  }, 60_000);
});
