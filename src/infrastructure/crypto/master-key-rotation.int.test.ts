import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTestDatabase } from '../../../test/support/application';
import { StoredRows } from '../../../test/support/sqlite';
import { makeTempDir } from '../../../test/support/temp-dir';
import { openApplication, type Application } from '../application';
import { loadConfig } from '../config/config';
import type { Database } from '../persistence/database';
import { Keyring } from './keyring';
import { MASTER_KEY_FILE } from './master-key';
import { MasterKeyRotationError, PENDING_MASTER_KEY_FILE, rotateMasterKey, type RotateMasterKeyOptions } from './master-key-rotation';
import { storageOf } from '../application-storage';

const SECRET = 'sk-live-rotation-0123456789';
const ENV_KEY = 'b'.repeat(64);
const NEW_ENV_KEY = 'c'.repeat(64);

/** What is stored, read with a connection of the test's own. */
const stored = <T>(db: Application, read: (rows: StoredRows) => T): T => {
  const rows = new StoredRows(db.config.database);
  try {
    return read(rows);
  } finally {
    rows.close();
  }
};
const eventsDigest = (db: Application): string =>
  createHash('sha256').update(JSON.stringify(stored(db, (rows) => rows.all('SELECT * FROM events ORDER BY position')))).digest('hex');
const wrappedKeys = (db: Application): string[] => stored(db, (rows) => rows.all<{ wrapped: string }>('SELECT wrapped FROM data_keys ORDER BY id')).map((row) => row.wrapped);
const storedEnv = (db: Application): string => {
  const row = stored(db, (rows) => rows.get<{ env: string }>(`SELECT env FROM servers WHERE name = 'local'`));
  return db.secrets.open(JSON.parse(row?.env ?? '{}').TOKEN);
};

/** Rotation on an open database (what `gatehouse secrets rotate-key` does on one it opens itself). */
const rotate = (database: Database, options: Omit<RotateMasterKeyOptions, 'keyring'>) => rotateMasterKey({ keyring: new Keyring(database), ...options });

describe('master key rotation (envelope encryption)', () => {
  let dir: ReturnType<typeof makeTempDir>;
  const open = (secretKey?: string) => openApplication(loadConfig({ GATEHOUSE_DATA_DIR: dir.path, ...(secretKey === undefined ? {} : { GATEHOUSE_SECRET_KEY: secretKey }) }));
  /** The database without the keyring (what `gatehouse secrets rotate-key` opens). */
  const openRaw = () => openTestDatabase(dir.path);

  const seed = async (secretKey?: string): Promise<string> => {
    const db = await open(secretKey);
    try {
      await db.commands.servers.register({ name: 'local', transport: 'stdio', command: 'node', env: { TOKEN: SECRET } }, { actor: 'test', correlationId: 'c' });
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
    const rotation = await rotate(storageOf(before).database, { dataDir: dir.path, currentKeyFromEnv: undefined, newKey: undefined });
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
    await rotate(storageOf(db).database, { dataDir: dir.path, currentKeyFromEnv: undefined, newKey: undefined });
    await db.close();
    // Simulate the crash: the new key is still only in secret.key.new.
    writeFileSync(join(dir.path, PENDING_MASTER_KEY_FILE), readFileSync(keyFile, 'utf8'));
    writeFileSync(keyFile, oldKeyFile);
    await expect(open()).rejects.toThrow();

    const recovering = await openRaw();
    try {
      expect(await rotate(recovering, { dataDir: dir.path, currentKeyFromEnv: undefined, newKey: undefined })).toMatchObject({ completedInterrupted: true });
    } finally {
      await recovering.close();
    }
    const after = await open();
    expect(storedEnv(after)).toBe(SECRET);
    await after.close();
  });

  it('starts over when interrupted before the database was rewrapped', async () => {
    await seed();
    writeFileSync(join(dir.path, PENDING_MASTER_KEY_FILE), `${'d'.repeat(64)}\n`);
    const db = await openRaw();
    try {
      expect(await rotate(db, { dataDir: dir.path, currentKeyFromEnv: undefined, newKey: undefined })).toMatchObject({ dataKeys: 1, completedInterrupted: false });
    } finally {
      await db.close();
    }
    const after = await open();
    expect(storedEnv(after)).toBe(SECRET);
    await after.close();
  });

  it('with GATEHOUSE_SECRET_KEY, needs the new key from the caller and writes no file', async () => {
    const digest = await seed(ENV_KEY);
    const db = await open(ENV_KEY);
    await expect(rotate(storageOf(db).database, { dataDir: dir.path, currentKeyFromEnv: ENV_KEY, newKey: undefined })).rejects.toThrow(MasterKeyRotationError);
    await expect(rotate(storageOf(db).database, { dataDir: dir.path, currentKeyFromEnv: ENV_KEY, newKey: ENV_KEY })).rejects.toThrow(/is the current one/);
    expect(await rotate(storageOf(db).database, { dataDir: dir.path, currentKeyFromEnv: ENV_KEY, newKey: NEW_ENV_KEY })).toMatchObject({ keySource: 'env', keyFile: null, dataKeys: 1 });
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
    await expect(rotate(storageOf(db).database, { dataDir: dir.path, currentKeyFromEnv: 'e'.repeat(64), newKey: NEW_ENV_KEY })).rejects.toThrow(/does not open/);
    expect(wrappedKeys(db)).toEqual(before);
    await db.close();
  });
});
