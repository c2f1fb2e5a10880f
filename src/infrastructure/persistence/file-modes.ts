import { closeSync, constants, openSync, statSync } from 'node:fs';

/** The files SQLite keeps for a database: the database, its write-ahead log and its shared-memory index. */
const databaseFiles = (path: string): readonly string[] => [path, `${path}-wal`, `${path}-shm`];

/**
 * Creates the database file readable and writable by its owner only, before SQLite opens it
 * (SQLite gives the log and index files it creates later the database file's mode), and
 * returns those of the database's existing files that others may read or write: the caller
 * warns about them. They are left as they are: a looser mode may be what their owner chose.
 */
export const prepareDatabaseFile = (path: string): readonly string[] => {
  try {
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return databaseFiles(path).flatMap((file) => {
    try {
      const mode = statSync(file).mode & 0o777;
      return mode & 0o077 ? [`${file} is ${mode.toString(8).padStart(4, '0')}`] : [];
    } catch {
      return []; // not there (yet)
    }
  });
};
