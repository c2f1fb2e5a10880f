import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDataSource } from '../../../ormconfig';
import { makeTempDir } from '../../../test/support/temp-dir';
import { registerServer } from '../commands/server.commands';
import type { GatehouseContext } from '../commands/context';
import { openDatabase, rawConnection, type OpenedDatabase } from '../database';
import { MASTER_KEY_FILE } from './master-key';
import { MasterKeyRotationError, PENDING_MASTER_KEY_FILE, rotateMasterKey } from './master-key-rotation';

const SECRET = 'sk-live-rotation-0123456789';
const ENV_KEY = 'b'.repeat(64);
const NEW_ENV_KEY = 'c'.repeat(64);

const contextOf = (db: OpenedDatabase): GatehouseContext => ({ store: db.store, sql: db.sql, dataSource: db.dataSource, secrets: db.secrets });
const eventsDigest = (db: OpenedDatabase): string =>
  createHash('sha256').update(JSON.stringify(db.sql.all('SELECT * FROM events ORDER BY position'))).digest('hex');
const wrappedKeys = (db: OpenedDatabase): string[] => db.sql.all<{ wrapped: string }>('SELECT wrapped FROM data_keys ORDER BY id').map((row) => row.wrapped);
const storedEnv = (db: OpenedDatabase): string => {
  const row = db.sql.get<{ env: string }>(`SELECT env FROM servers WHERE name = 'local'`);
  return db.secrets.open(JSON.parse(row?.env ?? '{}').TOKEN);
};

describe('master key rotation (envelope encryption)', () => {
  let dir: ReturnType<typeof makeTempDir>;
  const open = (secretKey?: string) => openDatabase({ database: join(dir.path, 'gatehouse.db'), dataDir: dir.path, secretKey });

  const seed = async (secretKey?: string): Promise<string> => {
    const db = await open(secretKey);
    try {
      await registerServer(contextOf(db), { name: 'local', transport: 'stdio', command: 'node', env: { TOKEN: SECRET } }, { actor: 'test', correlationId: 'c' });
      return eventsDigest(db);
    } finally {
      await db.close();
    }
  };

  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.cleanup());

  it('replaces the key file and rewraps the data keys without touching one event', async () => {
    const digest = await seed();
    const oldKeyFile = readFileSync(join(dir.path, MASTER_KEY_FILE), 'utf8');
    const before = await open();
    const wrappedBefore = wrappedKeys(before);
    const rotation = rotateMasterKey({ db: rawConnection(before.dataSource), dataDir: dir.path, currentKeyFromEnv: undefined, newKey: undefined });
    expect(rotation).toEqual({ dataKeys: 1, keySource: 'file', keyFile: join(dir.path, MASTER_KEY_FILE), completedInterrupted: false });
    // The process that rotated keeps its data keys: secrets still open.
    expect(storedEnv(before)).toBe(SECRET);
    await before.close();

    const keyFile = join(dir.path, MASTER_KEY_FILE);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(oldKeyFile);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir.path, PENDING_MASTER_KEY_FILE))).toBe(false);

    const after = await open();
    try {
      expect(eventsDigest(after)).toBe(digest);
      expect(wrappedKeys(after)).not.toEqual(wrappedBefore);
      expect(storedEnv(after)).toBe(SECRET);
    } finally {
      await after.close();
    }
    writeFileSync(keyFile, oldKeyFile);
    await expect(open()).rejects.toThrow(/does not open the stored data keys/);
  });

  it('finishes a rotation interrupted after the database was rewrapped', async () => {
    await seed();
    const db = await open();
    const keyFile = join(dir.path, MASTER_KEY_FILE);
    const oldKeyFile = readFileSync(keyFile, 'utf8');
    rotateMasterKey({ db: rawConnection(db.dataSource), dataDir: dir.path, currentKeyFromEnv: undefined, newKey: undefined });
    await db.close();
    // Simulate the crash: the new key is still only in secret.key.new.
    writeFileSync(join(dir.path, PENDING_MASTER_KEY_FILE), readFileSync(keyFile, 'utf8'));
    writeFileSync(keyFile, oldKeyFile);
    await expect(open()).rejects.toThrow();

    const recovering = await openRaw(dir.path);
    try {
      expect(rotateMasterKey({ db: rawConnection(recovering), dataDir: dir.path, currentKeyFromEnv: undefined, newKey: undefined })).toMatchObject({ completedInterrupted: true });
    } finally {
      await recovering.destroy();
    }
    const after = await open();
    expect(storedEnv(after)).toBe(SECRET);
    await after.close();
  });

  it('starts over when interrupted before the database was rewrapped', async () => {
    await seed();
    writeFileSync(join(dir.path, PENDING_MASTER_KEY_FILE), `${'d'.repeat(64)}\n`);
    const db = await openRaw(dir.path);
    try {
      expect(rotateMasterKey({ db: rawConnection(db), dataDir: dir.path, currentKeyFromEnv: undefined, newKey: undefined })).toMatchObject({ dataKeys: 1, completedInterrupted: false });
    } finally {
      await db.destroy();
    }
    const after = await open();
    expect(storedEnv(after)).toBe(SECRET);
    await after.close();
  });

  it('with GATEHOUSE_SECRET_KEY, needs the new key from the caller and writes no file', async () => {
    const digest = await seed(ENV_KEY);
    const db = await open(ENV_KEY);
    const db2 = rawConnection(db.dataSource);
    expect(() => rotateMasterKey({ db: db2, dataDir: dir.path, currentKeyFromEnv: ENV_KEY, newKey: undefined })).toThrow(MasterKeyRotationError);
    expect(() => rotateMasterKey({ db: db2, dataDir: dir.path, currentKeyFromEnv: ENV_KEY, newKey: ENV_KEY })).toThrow(/is the current one/);
    expect(rotateMasterKey({ db: db2, dataDir: dir.path, currentKeyFromEnv: ENV_KEY, newKey: NEW_ENV_KEY })).toMatchObject({ keySource: 'env', keyFile: null, dataKeys: 1 });
    await db.close();
    expect(existsSync(join(dir.path, MASTER_KEY_FILE))).toBe(false);
    await expect(open(ENV_KEY)).rejects.toThrow(/does not open/);
    const after = await open(NEW_ENV_KEY);
    expect(eventsDigest(after)).toBe(digest);
    expect(storedEnv(after)).toBe(SECRET);
    await after.close();
  });

  it('refuses to rotate with a key that does not open the data keys, changing nothing', async () => {
    await seed(ENV_KEY);
    const db = await open(ENV_KEY);
    const before = wrappedKeys(db);
    expect(() => rotateMasterKey({ db: rawConnection(db.dataSource), dataDir: dir.path, currentKeyFromEnv: 'e'.repeat(64), newKey: NEW_ENV_KEY })).toThrow(/does not open/);
    expect(wrappedKeys(db)).toEqual(before);
    await db.close();
  });
});

/** The database without the keyring (what `gatehouse secrets rotate-key` opens). */
const openRaw = async (dataDir: string) => {
  const dataSource = createDataSource(join(dataDir, 'gatehouse.db'));
  await dataSource.initialize();
  return dataSource;
};
