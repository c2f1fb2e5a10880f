import type { Database, Statement } from 'better-sqlite3';

export type SqlValue = string | number | bigint | null | Buffer;

/**
 * A thin, synchronous SQL runner over better-sqlite3 with a prepared-statement cache. The
 * append path and the inline projections run through it inside one synchronous transaction,
 * which is what makes the single writer serial without locks.
 */
export class Sql {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Database) {}

  run(sql: string, ...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint } {
    return this.statement(sql).run(...params);
  }

  get<Row>(sql: string, ...params: SqlValue[]): Row | undefined {
    return this.statement(sql).get(...params) as Row | undefined;
  }

  all<Row>(sql: string, ...params: SqlValue[]): Row[] {
    return this.statement(sql).all(...params) as Row[];
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

export const json = (value: unknown): string => JSON.stringify(value);
export const bool = (value: boolean): number => (value ? 1 : 0);
