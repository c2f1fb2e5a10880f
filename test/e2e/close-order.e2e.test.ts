import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { storageOf } from '../../src/infrastructure/application-storage';
import { startTestGatehouse } from '../support/gatehouse';

/** The SQLite file can be locked exclusively: no connection of the gateway holds it open any more. */
const lockExclusively = (file: string): void => {
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } finally {
    db.close();
  }
};

describe('closing Gatehouse when a step of the close fails', () => {
  // Guards startGatehouse's closeInOrder: the gateway's close failing (after it did its work) does not skip the HTTP server's or the database's.
  it('a failing gateway close still stops the HTTP server and closes the database, then rejects', async () => {
    const gh = await startTestGatehouse();
    try {
      expect((await gh.api('POST', '/api/profiles', { slug: 'dev' })).status).toBe(201);
      gh.sql.close();
      expect(() => lockExclusively(`${gh.dataDir}/gatehouse.db`)).toThrow(/locked/);
      const closeGateway = gh.gateway.close;
      jest.spyOn(gh.gateway, 'close').mockImplementationOnce(async () => {
        await closeGateway();
        throw new Error('the gateway failed to close');
      });
      await expect(gh.close()).rejects.toThrow('the gateway failed to close');
      expect(gh.http.listening).toBe(false);
      expect(() => lockExclusively(`${gh.dataDir}/gatehouse.db`)).not.toThrow();
    } finally {
      rmSync(gh.dataDir, { recursive: true, force: true });
    }
  });

  // Guards the SQLite backend's closeInOrder: its reader failing to close does not leave its writer open.
  it('a failing reader close still closes the database writer, then rejects', async () => {
    const gh = await startTestGatehouse();
    try {
      expect((await gh.api('POST', '/api/profiles', { slug: 'dev' })).status).toBe(201);
      gh.sql.close();
      // The reader connection is lost before the close: closing it again is the step that fails.
      await storageOf(gh.app).database.reads.dataSource.destroy();
      await expect(gh.close()).rejects.toThrow('connection is not yet established');
      expect(() => lockExclusively(`${gh.dataDir}/gatehouse.db`)).not.toThrow();
    } finally {
      rmSync(gh.dataDir, { recursive: true, force: true });
    }
  });
});
