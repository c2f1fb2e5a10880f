import { createHash } from 'node:crypto';
import { LessThan } from 'typeorm';
import type { Database } from '../persistence/database';
import { OAuthServerRecordRow } from './oauth-server.entities';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Row keys: hashes, so that no stored value is a usable code, token or session id. */
export const recordKey = (model: string, id: string): string => sha256(`${model}:${id}`);
const uidKey = (model: string, uid: string): string => sha256(`${model}:uid:${uid}`);
const grantKey = (grantId: string): string => sha256(`grant:${grantId}`);

export type StoredRecord = Readonly<{ payload: string; consumedAt: number | null; expiresAt: number | null }>;

export type RecordWrite = Readonly<{ model: string; id: string; payload: string; grantId?: string; uid?: string; expiresAt: number | null }>;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The one owner of `oauth_server_records`: every read and write of it goes through here. */
export class OAuthServerRecords {
  constructor(private readonly database: Database) {}

  async upsert(record: RecordWrite): Promise<void> {
    const row = {
      key: recordKey(record.model, record.id),
      model: record.model,
      payload: record.payload,
      grantKey: record.grantId === undefined ? null : grantKey(record.grantId),
      uidKey: record.uid === undefined ? null : uidKey(record.model, record.uid),
      expiresAt: record.expiresAt,
      consumedAt: null,
    };
    await this.database.write((manager) =>
      manager.createQueryBuilder().insert().into(OAuthServerRecordRow).values(row).orUpdate(['payload', 'grant_key', 'uid_key', 'expires_at'], ['key']).updateEntity(false).execute(),
    );
  }

  async find(model: string, id: string): Promise<StoredRecord | null> {
    return this.live(await this.database.reads.getRepository(OAuthServerRecordRow).findOneBy({ key: recordKey(model, id) }));
  }

  async findByUid(model: string, uid: string): Promise<StoredRecord & { key: string } | null> {
    const row = await this.database.reads.getRepository(OAuthServerRecordRow).findOneBy({ uidKey: uidKey(model, uid), model });
    const live = this.live(row);
    return live === null || row === null ? null : { ...live, key: row.key };
  }

  async consume(model: string, id: string): Promise<void> {
    await this.database.write((manager) => manager.getRepository(OAuthServerRecordRow).update({ key: recordKey(model, id) }, { consumedAt: nowSeconds() }));
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.database.write((manager) => manager.getRepository(OAuthServerRecordRow).delete({ key: recordKey(model, id) }));
  }

  /** Everything issued under a grant: a revocation, a replayed code or refresh token ends the family. */
  async revokeGrant(grantId: string): Promise<void> {
    await this.database.write((manager) => manager.getRepository(OAuthServerRecordRow).delete({ grantKey: grantKey(grantId) }));
  }

  /** Drops what has expired (nothing expired is ever found, this only frees the space). */
  async removeExpired(): Promise<number> {
    return this.database.write(async (manager) => (await manager.getRepository(OAuthServerRecordRow).delete({ expiresAt: LessThan(nowSeconds()) })).affected ?? 0);
  }

  /** Rows by model (tests and the admin's view of what is stored; never ids). */
  async count(model: string): Promise<number> {
    return this.database.reads.getRepository(OAuthServerRecordRow).countBy({ model });
  }

  private live(row: OAuthServerRecordRow | null): StoredRecord | null {
    if (row === null || (row.expiresAt !== null && row.expiresAt <= nowSeconds())) return null;
    return { payload: row.payload, consumedAt: row.consumedAt, expiresAt: row.expiresAt };
  }
}
