import Database from 'better-sqlite3';

type Param = string | number | bigint | null | Buffer;

/**
 * A read-only connection of the test's own to a gateway's SQLite file: tests look at what is
 * really stored (ciphertext, the log's rows, read-model tables) without going through the code
 * under test. WAL lets it read while the gateway writes.
 */
export class StoredRows {
  private db: Database.Database | null = null;

  constructor(private readonly path: string) {}

  get<Row>(sql: string, ...params: Param[]): Row | undefined {
    return this.connection().prepare(sql).get(...params) as Row | undefined;
  }

  all<Row>(sql: string, ...params: Param[]): Row[] {
    return this.connection().prepare(sql).all(...params) as Row[];
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }

  private connection(): Database.Database {
    this.db ??= new Database(this.path, { readonly: true, fileMustExist: true });
    return this.db;
  }
}
