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

describe('closing the gateway when a step of the close fails', () => {
  // Guards closeInOrder in the close path: a step that fails (here closing the database's reader) does not leave the later ones (its writer) undone.
  it('still closes the HTTP server and the database writer, then rejects with the failure', async () => {
    const gh = await startTestGatehouse();
    try {
      expect((await gh.api('POST', '/api/profiles', { slug: 'dev' })).status).toBe(201);
      gh.sql.close();
      // The reader connection is lost before the close: closing it again is the step that fails.
      await storageOf(gh.app).database.reads.dataSource.destroy();
      await expect(gh.close()).rejects.toThrow('connection is not yet established');
      expect(gh.http.listening).toBe(false);
      expect(() => lockExclusively(`${gh.dataDir}/gatehouse.db`)).not.toThrow();
    } finally {
      rmSync(gh.dataDir, { recursive: true, force: true });
    }
  });
});
