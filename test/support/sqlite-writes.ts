import Database from 'better-sqlite3';

/**
 * One statement run on a gateway's SQLite file with a connection of the test's own, to change a
 * stored row as time or a fault would (a record expired, a record damaged): never through the
 * code under test. Waits for the gateway's write lock as the CLI does. Returns the rows changed.
 */
export const changeStoredRows = (file: string, sql: string, ...params: (string | number | null)[]): number => {
  const db = new Database(file, { fileMustExist: true, timeout: 5000 });
  try {
    return db.prepare(sql).run(...params).changes;
  } finally {
    db.close();
  }
};
