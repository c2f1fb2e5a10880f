import type { Database as SqliteHandle, Statement } from 'better-sqlite3';
import { QueryFailedError, type EntityManager, type QueryResult } from 'typeorm';
import { BetterSqlite3Driver } from 'typeorm/driver/better-sqlite3/BetterSqlite3Driver';

/**
 * Statements run on better-sqlite3 directly, for the statements every command runs (compiled
 * queries, BEGIN / SAVEPOINT / COMMIT). TypeORM's query runner wraps each statement in a logger
 * call, two subscriber broadcasts, a statement-cache lookup and four awaits: about as much work
 * as SQLite's own for the short statements of a command. Prepared once per connection; failures
 * surface as TypeORM's QueryFailedError (with the driver's code), as through the query runner.
 */

/** The better-sqlite3 connection under a TypeORM manager; null on another engine. */
export const sqliteHandleOf = (manager: EntityManager): SqliteHandle | null => {
  const { driver } = manager.connection;
  // The driver's connection is a public field of TypeORM's better-sqlite3 driver (typed any there).
  return driver instanceof BetterSqlite3Driver ? ((driver.databaseConnection as SqliteHandle | undefined) ?? null) : null;
};

// better-sqlite3 binds no booleans; TypeORM's runner turns them into 0/1 too.
const bindable = (parameters: readonly unknown[]): unknown[] => parameters.map((value) => (typeof value === 'boolean' ? Number(value) : value));

/** Runs a prepared statement as TypeORM's runner would answer it: rows for a reader, changes and rowid otherwise. */
export const runPrepared = (statement: Statement, parameters: readonly unknown[]): QueryResult => {
  const values = bindable(parameters);
  try {
    if (statement.reader) {
      const records = statement.all(...values) as unknown[];
      return { records, raw: records } as QueryResult;
    }
    const { changes, lastInsertRowid } = statement.run(...values);
    return { records: [], raw: lastInsertRowid, affected: changes } as QueryResult;
  } catch (error) {
    throw new QueryFailedError(statement.source, values, error as Error);
  }
};

/** Statements without parameters (transaction control), each prepared once per connection. */
export class SqliteControlStatements {
  private readonly prepared = new Map<string, Statement>();

  constructor(private readonly handle: SqliteHandle) {}

  run(sql: readonly string[]): void {
    for (const text of sql) {
      let statement = this.prepared.get(text);
      if (statement === undefined) {
        statement = this.handle.prepare(text);
        this.prepared.set(text, statement);
      }
      runPrepared(statement, []);
    }
  }
}
