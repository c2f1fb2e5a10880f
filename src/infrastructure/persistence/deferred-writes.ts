import { escapeLiteral, type Client, type QueryResult as PgResult } from 'pg';
import { QueryFailedError, QueryResult, type QueryRunner } from 'typeorm';
import { simpleQuery } from './postgres-simple-query';

type Send = (query: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>;

/** Most writes held back before they are sent on their own. */
const MAX_PENDING = 500;

const CONTROL = /^\s*(COMMIT|RELEASE|SAVEPOINT)\b/i;
const ROLLBACK = /^\s*ROLLBACK\b/i;

/**
 * A parameter as the SQL literal of the text `pg` binds for it, or null when this does not
 * know that text for sure (a Buffer, a Date, an array, an object with `toPostgres`): such a
 * write is not held back but runs now, bound by `pg` itself.
 */
const literalOf = (value: unknown): string | null => {
  if (value === null || value === undefined) return 'NULL';
  switch (typeof value) {
    case 'string':
      return escapeLiteral(value);
    case 'number':
    case 'bigint':
    case 'boolean':
      return escapeLiteral(String(value));
    case 'object':
      return Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof Date || Array.isArray(value) || 'toPostgres' in value
        ? null
        : escapeLiteral(JSON.stringify(value));
    default:
      return null;
  }
};

/** The name of a named statement (what compiled queries send on PostgreSQL), else undefined. */
const nameOf = (query: unknown): string | undefined => {
  const name = typeof query === 'object' && query !== null ? (query as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
};

const registry = new WeakMap<QueryRunner, DeferredWrites>();

/**
 * The writes on PostgreSQL's writer connection whose outcome their caller does not look at
 * (a projection's upserts, a stream's new version), held back and sent with the next statement
 * that goes out anyway: every round trip on a busy machine costs far more than the statement.
 *
 * A held-back write runs a statement already prepared on the connection (`EXECUTE name(…)`,
 * its parameters as the literals of the text `pg` would have bound), so it is planned as the
 * statement itself is. Order is kept: before any other statement, the held-back ones go first,
 * in one simple query; a COMMIT, RELEASE or SAVEPOINT carries them in the same round trip, and
 * so does a prepared statement that has to go out now (a read, as `EXECUTE` after them); a
 * ROLLBACK drops them. A held-back write that fails fails the statement it went out with, in
 * the same transaction (the caller's job, which Database rolls back).
 */
export class DeferredWrites {
  private pending: string[] = [];
  /** The named statements this connection has run: prepared on it, so `EXECUTE` can name them. */
  private readonly prepared = new Set<string>();

  private constructor(
    private readonly runner: QueryRunner,
    private readonly client: Client,
    private readonly send: Send,
  ) {}

  /** Makes `runner` (connected) hold back writes given to `defer`. */
  static install(runner: QueryRunner, client: Client): void {
    const send = runner.query.bind(runner);
    const deferred = new DeferredWrites(runner, client, (query, parameters, structured) => (structured === true ? send(query, parameters, true) : send(query, parameters)));
    // The runner's two overloads (a structured result or the raw rows), both answered by deferred.query.
    function query(query: string, parameters: unknown[] | undefined, useStructuredResult: true): Promise<QueryResult>;
    function query(query: string, parameters?: unknown[]): Promise<unknown>;
    function query(query: string, parameters?: unknown[], useStructuredResult?: boolean): Promise<unknown> {
      return deferred.query(query, parameters, useStructuredResult);
    }
    runner.query = query;
    registry.set(runner, deferred);
  }

  static of(runner: QueryRunner | undefined): DeferredWrites | undefined {
    return runner === undefined ? undefined : registry.get(runner);
  }

  /**
   * Holds back the prepared statement `name` with these parameters; false when it cannot be
   * (not prepared on this connection yet, or a parameter that is not text): run it now instead.
   */
  async defer(name: string, parameters: readonly unknown[]): Promise<boolean> {
    const execute = this.executeOf(name, parameters);
    if (execute === null) return false;
    this.pending.push(execute);
    if (this.pending.length >= MAX_PENDING) await this.flush();
    return true;
  }

  /** `EXECUTE name(…)` with these parameters as literals; null when it cannot be (see defer). */
  private executeOf(name: string, parameters: readonly unknown[]): string | null {
    if (!this.prepared.has(name)) return null;
    const literals: string[] = [];
    for (const value of parameters) {
      const literal = literalOf(value);
      if (literal === null) return null;
      literals.push(literal);
    }
    return `EXECUTE ${name}(${literals.join(', ')})`;
  }

  /**
   * A prepared statement that has to go out now, with what is held back before it in the same
   * round trip (null when it cannot be: see defer): answered as TypeORM's runner answers it.
   */
  private async withHeld(query: unknown, parameters: unknown[] | undefined, structured?: boolean): Promise<unknown> {
    const name = nameOf(query);
    if (this.runner.isReleased || name === undefined) return null;
    const execute = this.executeOf(name, parameters ?? []);
    if (execute === null) return null;
    const statements = [...this.pending, execute];
    this.pending = [];
    let results: PgResult[];
    try {
      results = await simpleQuery(this.client, statements);
    } catch (error) {
      throw new QueryFailedError(statements.join('; '), [], error as Error);
    }
    const last = results[results.length - 1];
    const result = new QueryResult();
    result.records = last.rows;
    result.affected = last.rowCount ?? undefined;
    result.raw = last.command === 'UPDATE' || last.command === 'DELETE' ? [last.rows, last.rowCount] : last.rows;
    return structured === true ? result : result.raw;
  }

  /** Sends what is held back (nothing when nothing is). */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const held = this.pending;
    this.pending = [];
    await this.send(held.join('; '));
  }

  private async query(query: string, parameters?: unknown[], structured?: boolean): Promise<unknown> {
    if (this.pending.length > 0) {
      if (typeof query === 'string' && ROLLBACK.test(query)) {
        this.pending = [];
      } else if (typeof query === 'string' && (parameters === undefined || parameters.length === 0) && CONTROL.test(query)) {
        const held = this.pending;
        this.pending = [];
        return this.send(`${held.join('; ')}; ${query}`, undefined, structured);
      } else {
        const answer = await this.withHeld(query, parameters, structured);
        if (answer !== null) return answer;
        await this.flush();
      }
    }
    const answer = await this.send(query, parameters, structured);
    const name = nameOf(query);
    if (name !== undefined) this.prepared.add(name);
    return answer;
  }
}
