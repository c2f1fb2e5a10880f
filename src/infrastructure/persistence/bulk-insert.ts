import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { runPrepared, sqliteHandleOf } from './sqlite-statements';

/** Rows a statement on PostgreSQL, and the text they may carry (a parameter must stay far below 1 GB). */
const ROWS_PER_ARRAY_INSERT = 10_000;
const CHARACTERS_PER_ARRAY_INSERT = 32 * 1024 * 1024;
/** Parameters a statement elsewhere (well under SQLite's 32,766). */
const MAX_PARAMETERS = 10_000;

/** Consecutive runs of rows of at most ROWS_PER_ARRAY_INSERT rows and, past one row, CHARACTERS_PER_ARRAY_INSERT characters of text. */
export const arrayInsertChunks = function* <Row extends ObjectLiteral>(rows: readonly Row[], properties: readonly string[]): Generator<Row[]> {
  let chunk: Row[] = [];
  let characters = 0;
  for (const row of rows) {
    const size = properties.reduce((sum, property) => sum + (typeof row[property] === 'string' ? (row[property] as string).length : 8), 0);
    if (chunk.length > 0 && (chunk.length === ROWS_PER_ARRAY_INSERT || characters + size > CHARACTERS_PER_ARRAY_INSERT)) {
      yield chunk;
      chunk = [];
      characters = 0;
    }
    chunk.push(row);
    characters += size;
  }
  if (chunk.length > 0) yield chunk;
};

/**
 * Inserts rows, given with every column, for a rebuild that writes whole tables at once.
 * PostgreSQL: one `INSERT … SELECT * FROM unnest($1::text[], $2::integer[], …)` per 10,000
 * rows, an array parameter per column (a VALUES list of that size costs the server far more to
 * parse and plan than the insert itself). SQLite: one prepared single-row INSERT run per row on
 * the connection (in-process, no round trips). Otherwise multi-row INSERTs of the query builder.
 */
export const insertRows = async <Entity extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<Entity>, rows: readonly Entity[]): Promise<void> => {
  if (rows.length === 0) return;
  const metadata = manager.connection.getMetadata(entity);
  const { columns } = metadata;
  const escape = (name: string): string => manager.connection.driver.escape(name);
  const into = `INSERT INTO ${escape(metadata.tableName)} (${columns.map((column) => escape(column.databaseName)).join(', ')})`;
  const sqlite = sqliteHandleOf(manager);
  if (sqlite !== null) {
    const statement = sqlite.prepare(`${into} VALUES (${columns.map(() => '?').join(', ')})`);
    for (const row of rows) runPrepared(statement, columns.map((column) => row[column.propertyName] as unknown));
    return;
  }
  if (manager.connection.options.type === 'postgres' && columns.every((column) => typeof column.type === 'string')) {
    const sql = `${into} SELECT * FROM unnest(${columns.map((column, index) => `$${index + 1}::${String(column.type)}[]`).join(', ')})`;
    for (const chunk of arrayInsertChunks(rows, columns.map((column) => column.propertyName))) {
      await manager.query(sql, columns.map((column) => chunk.map((row) => row[column.propertyName] as unknown)));
    }
    return;
  }
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement) as QueryDeepPartialEntity<Entity>[];
    await manager.createQueryBuilder().insert().into(entity).values(chunk).updateEntity(false).execute();
  }
};

/** From this size on disk, a table is emptied by TRUNCATE on PostgreSQL (see emptyTables). */
const TRUNCATE_FROM_BYTES = 1024 * 1024;

/**
 * Empties tables for a rebuild that writes them whole. PostgreSQL: a DELETE leaves the deleted
 * rows' index entries, which the inserts that follow keep and check against (a rebuild's
 * inserts into the 40,000 rows of profile_tools took twice as long after one), so the tables of
 * 1 MiB or more go by one TRUNCATE, which gives them new, empty files (undone with the
 * transaction). TRUNCATE costs more than the DELETE of a small table (tens of ms for the whole
 * set: new files for every table and index), so the small ones are still deleted from. It holds
 * the table's exclusive lock until the transaction ends: a reader waits for the rebuild instead of
 * seeing the old rows meanwhile, which a rebuild can afford (it does not run while an instance
 * serves the store). Elsewhere, a DELETE per table.
 */
export const emptyTables = async (manager: EntityManager, tables: readonly EntityTarget<ObjectLiteral>[]): Promise<void> => {
  const names = [...new Set(tables.map((table) => manager.connection.getMetadata(table).tableName))];
  let large = new Set<string>();
  if (manager.connection.options.type === 'postgres' && names.length > 0) {
    const sizes = (await manager.query('SELECT relname AS name, pg_relation_size(oid) AS bytes FROM pg_class WHERE oid = ANY($1::regclass[])', [names])) as {
      name: string;
      bytes: string;
    }[];
    large = new Set(sizes.filter((row) => Number(row.bytes) >= TRUNCATE_FROM_BYTES).map((row) => row.name));
  }
  if (large.size > 0) await manager.query(`TRUNCATE TABLE ${[...large].map((name) => manager.connection.driver.escape(name)).join(', ')}`);
  for (const name of names) {
    if (!large.has(name)) await manager.query(`DELETE FROM ${manager.connection.driver.escape(name)}`);
  }
};
