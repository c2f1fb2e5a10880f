import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { gcmOpen, gcmSeal } from './aead';
import { SecretBox } from './secret-box';

export type DataKey = Readonly<{ id: string; key: Buffer }>;

type DataKeyRow = { id: string; wrapped: string; active: number };

const WRAP_CONTEXT = 'gatehouse data key';

/**
 * Data keys live in the `data_keys` table, each wrapped (AES-256-GCM) by the master key.
 * The first use creates one. Rotating the master key rewraps the rows; no event changes.
 */
export class Keyring {
  constructor(private readonly db: Database) {}

  open(masterKey: Buffer): SecretBox {
    const rows = this.db.prepare('SELECT id, wrapped, active FROM data_keys ORDER BY created_at').all() as DataKeyRow[];
    if (rows.length === 0) {
      const created = this.createDataKey(masterKey);
      return new SecretBox(created, new Map([[created.id, created]]));
    }
    const keys = rows.map((row) => ({ id: row.id, key: this.unwrap(masterKey, row) }));
    const activeId = rows.find((row) => row.active === 1)?.id ?? rows[rows.length - 1].id;
    const byId = new Map(keys.map((key) => [key.id, key]));
    return new SecretBox(byId.get(activeId) as DataKey, byId);
  }

  /** Rewraps every data key under a new master key, in one transaction. */
  rotateMasterKey(oldMasterKey: Buffer, newMasterKey: Buffer): number {
    const rows = this.db.prepare('SELECT id, wrapped, active FROM data_keys').all() as DataKeyRow[];
    const update = this.db.prepare('UPDATE data_keys SET wrapped = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const row of rows) {
        const key = this.unwrap(oldMasterKey, row);
        update.run(gcmSeal(newMasterKey, key, `${WRAP_CONTEXT} ${row.id}`).toString('base64'), row.id);
      }
    })();
    return rows.length;
  }

  private createDataKey(masterKey: Buffer): DataKey {
    const dataKey = { id: randomUUID().replace(/-/g, '').slice(0, 16), key: randomBytes(32) };
    this.db
      .prepare('INSERT INTO data_keys (id, wrapped, active, created_at) VALUES (?, ?, 1, ?)')
      .run(dataKey.id, gcmSeal(masterKey, dataKey.key, `${WRAP_CONTEXT} ${dataKey.id}`).toString('base64'), new Date().toISOString());
    return dataKey;
  }

  private unwrap(masterKey: Buffer, row: DataKeyRow): Buffer {
    try {
      return gcmOpen(masterKey, Buffer.from(row.wrapped, 'base64'), `${WRAP_CONTEXT} ${row.id}`);
    } catch {
      throw new Error('The master key does not open the stored data keys (wrong GATEHOUSE_SECRET_KEY or key file?)');
    }
  }
}
