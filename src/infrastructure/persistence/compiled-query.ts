import type { Database as SqliteHandle, Statement } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import {
  InsertQueryBuilder, QueryFailedError, type DataSource, type EntityManager, type EntityTarget, type ObjectLiteral, type QueryBuilder, type QueryResult, type SelectQueryBuilder,
} from 'typeorm';
import { DeferredWrites } from './deferred-writes';
import { runPrepared, sqliteHandleOf } from './sqlite-statements';

type Slot = Readonly<{ name: string } | { value: unknown }>;
type Compiled = Readonly<{ sql: string; slots: readonly Slot[]; name: string | null }>;

/** What a compiled query's builder is given for each of its parameters: a stand-in resolved at run time. */
export type Placeholders<P> = { readonly [K in keyof P]: P[K] };

const MARK = '\u0000';
const placeholderOf = (name: string): string => `${MARK}${name}${MARK}`;
const PLACEHOLDERS = new Proxy({}, { get: (_, name) => placeholderOf(String(name)) });

/**
 * A query built with TypeORM's query builder once per database (so in that database's SQL
 * dialect) and run many times with other values, as a prepared statement is. It serves the
 * statements that run for every event and every command: building a query costs 10–40 µs, and
 * SQLite's driver writes numbers into the SQL text (so every version, position and limit would
 * make a new statement to prepare), while a compiled query binds every value as a parameter.
 *
 * The builder receives placeholders for its parameters (strings TypeORM binds like any other),
 * read one by one (`{ id: p.id }`: the placeholders object has no keys of its own to spread);
 * what it writes as literals stays in the query. Only for shapes that do not depend on the
 * values: a list of variable length (`IN (:...ids)`) needs the query builder as usual.
 *
 * On SQLite the statement is prepared once per connection and run on better-sqlite3 directly
 * (see sqlite-statements.ts); on PostgreSQL it goes through TypeORM's runner as a named statement.
 */
export class CompiledQuery<P extends object> {
  private readonly compiled = new WeakMap<DataSource, Compiled>();
  private readonly prepared = new WeakMap<SqliteHandle, Statement>();

  constructor(private readonly build: (manager: EntityManager, parameters: Placeholders<P>) => QueryBuilder<ObjectLiteral>) {}

  /** The rows a SELECT returns, as its aliases name them. */
  async all<Row>(manager: EntityManager, values: P): Promise<Row[]> {
    return (await this.execute(manager, values)).records as Row[];
  }

  async one<Row>(manager: EntityManager, values: P): Promise<Row | undefined> {
    return (await this.all<Row>(manager, values))[0];
  }

  /** Runs an INSERT, UPDATE or DELETE: the rows it affected and, for an INSERT, the new row's id. */
  async run(manager: EntityManager, values: P): Promise<{ affected: number; insertId: number }> {
    const result = await this.execute(manager, values);
    // SQLite's driver answers an INSERT with the new rowid, PostgreSQL with the RETURNING rows.
    const raw: unknown = result.raw;
    const insertId = Array.isArray(raw) ? Number(Object.values((raw[0] ?? {}) as object)[0]) : Number(raw);
    return { affected: result.affected ?? 0, insertId };
  }

  /**
   * Runs an INSERT, UPDATE or DELETE whose outcome the caller does not look at: on PostgreSQL's
   * writer it may go out with the next statement (see DeferredWrites), and fail that one.
   */
  async write(manager: EntityManager, values: P): Promise<void> {
    const deferred = DeferredWrites.of(manager.queryRunner);
    if (deferred !== undefined) {
      const { slots, name } = this.compile(manager);
      if (name !== null && (await deferred.defer(name, this.parameters(slots, values)))) return;
    }
    await this.execute(manager, values);
  }

  private parameters(slots: readonly Slot[], values: P): unknown[] {
    return slots.map((slot) => ('name' in slot ? (values as Record<string, unknown>)[slot.name] : slot.value));
  }

  private async execute(manager: EntityManager, values: P): Promise<QueryResult> {
    const { sql, slots, name } = this.compile(manager);
    const parameters = this.parameters(slots, values);
    const sqlite = sqliteHandleOf(manager);
    if (sqlite !== null) return runPrepared(this.statementOn(sqlite, sql, parameters), parameters);
    const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
    try {
      // PostgreSQL: a named statement, parsed and planned once per connection (`pg` remembers
      // which connection has it); TypeORM hands the query to `pg` as it is given.
      const query = (name === null ? sql : { name, text: sql }) as string;
      return (await runner.query(query, parameters, true)) as QueryResult;
    } finally {
      if (runner !== manager.queryRunner) await runner.release();
    }
  }

  private statementOn(handle: SqliteHandle, sql: string, parameters: readonly unknown[]): Statement {
    let statement = this.prepared.get(handle);
    if (statement === undefined) {
      try {
        statement = handle.prepare(sql);
      } catch (error) {
        throw new QueryFailedError(sql, [...parameters], error as Error);
      }
      this.prepared.set(handle, statement);
    }
    return statement;
  }

  private compile(manager: EntityManager): Compiled {
    const cached = this.compiled.get(manager.connection);
    if (cached !== undefined) return cached;
    const builder = this.build(manager, PLACEHOLDERS as Placeholders<P>);
    // PostgreSQL has no last-insert rowid: an INSERT returns its generated key instead.
    if (builder instanceof InsertQueryBuilder && manager.connection.options.type === 'postgres' && builder.expressionMap.mainAlias?.hasMetadata) {
      const generated = builder.expressionMap.mainAlias.metadata.primaryColumns.filter((column) => column.isGenerated);
      if (generated.length === 1) builder.returning(generated[0].databaseName);
    }
    const [sql, parameters] = builder.getQueryAndParameters();
    const slots = parameters.map((value: unknown): Slot => {
      const match = typeof value === 'string' && value.startsWith(MARK) && value.endsWith(MARK) ? value.slice(1, -1) : undefined;
      return match === undefined ? { value } : { name: match };
    });
    const name = manager.connection.options.type === 'postgres' ? `gatehouse_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}` : null;
    const compiled = { sql, slots, name };
    this.compiled.set(manager.connection, compiled);
    return compiled;
  }
}

/** A query compiled once per database; see CompiledQuery. */
export const compiledQuery = <P extends object>(build: (manager: EntityManager, parameters: Placeholders<P>) => QueryBuilder<ObjectLiteral>): CompiledQuery<P> =>
  new CompiledQuery<P>(build);

/**
 * A SELECT of every column of `entity`, each under its property name: for a compiled query that
 * reads whole rows, which come back in the entity's shape without TypeORM hydrating entities.
 */
export const selectRows = <Entity extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<Entity>, alias: string): SelectQueryBuilder<Entity> => {
  const [first, ...rest] = manager.connection.getMetadata(entity).columns;
  const builder = manager.createQueryBuilder(entity, alias).select(`${alias}.${first.propertyName}`, first.propertyName);
  for (const column of rest) builder.addSelect(`${alias}.${column.propertyName}`, column.propertyName);
  return builder;
};
