import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../persistence/database';
import { gcmOpen, gcmSeal } from './aead';
import { DataKeyRow, type DataKey } from './data-key';
import { SecretBox } from './secret-box';

const WRAP_CONTEXT = 'gatehouse data key';

/**
 * Data keys live in the `data_keys` table, each wrapped (AES-256-GCM) by the master key.
 * The first use creates one. Rotating the master key rewraps the rows; no event changes.
 */
export class Keyring {
  constructor(private readonly database: Database) {}

  async open(masterKey: Buffer): Promise<SecretBox> {
    const rows = await this.database.reads.getRepository(DataKeyRow).find({ order: { createdAt: 'ASC' } });
    if (rows.length === 0) {
      const created = await this.createDataKey(masterKey);
      if (created !== null) return new SecretBox(created, new Map([[created.id, created]]));
      // Another instance starting at the same time made the first one: use it.
      return this.open(masterKey);
    }
    const keys = rows.map((row) => ({ id: row.id, key: unwrap(masterKey, row) }));
    const activeId = rows.find((row) => row.active === 1)?.id ?? rows[rows.length - 1].id;
    const byId = new Map(keys.map((key) => [key.id, key]));
    return new SecretBox(byId.get(activeId) as DataKey, byId);
  }

  /** Whether `masterKey` opens every stored data key. */
  async opens(masterKey: Buffer): Promise<boolean> {
    try {
      await this.open(masterKey);
      return true;
    } catch {
      return false;
    }
  }

  /** Rewraps every data key under a new master key, in one transaction. */
  rotateMasterKey(oldMasterKey: Buffer, newMasterKey: Buffer): Promise<number> {
    return this.database.write(async (manager) => {
      const rows = await manager.getRepository(DataKeyRow).find();
      for (const row of rows) {
        const key = unwrap(oldMasterKey, row);
        const wrapped = gcmSeal(newMasterKey, key, `${WRAP_CONTEXT} ${row.id}`).toString('base64');
        await manager.createQueryBuilder().update(DataKeyRow).set({ wrapped }).where('id = :id', { id: row.id }).updateEntity(false).execute();
      }
      return rows.length;
    });
  }

  /** The first data key; null when one exists by the time the write runs (writes are serialized, also across instances). */
  private async createDataKey(masterKey: Buffer): Promise<DataKey | null> {
    const dataKey = { id: randomUUID().replace(/-/g, '').slice(0, 16), key: randomBytes(32) };
    const wrapped = gcmSeal(masterKey, dataKey.key, `${WRAP_CONTEXT} ${dataKey.id}`).toString('base64');
    return this.database.write(async (manager) => {
      if ((await manager.getRepository(DataKeyRow).count()) > 0) return null;
      await manager.createQueryBuilder().insert().into(DataKeyRow).values({ id: dataKey.id, wrapped, active: 1, createdAt: new Date().toISOString() }).updateEntity(false).execute();
      return dataKey;
    });
  }
}

const unwrap = (masterKey: Buffer, row: DataKeyRow): Buffer => {
  try {
    return gcmOpen(masterKey, Buffer.from(row.wrapped, 'base64'), `${WRAP_CONTEXT} ${row.id}`);
  } catch {
    throw new Error('The master key does not open the stored data keys (wrong GATEHOUSE_SECRET_KEY or key file?)');
  }
};
