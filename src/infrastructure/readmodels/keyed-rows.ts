import { IsNull, type EntityManager, type FindOptionsWhere, type ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { InlineProjection, ProjectionReplay, StoredEvent } from '../eventstore';
import { insertRows } from '../persistence/bulk-insert';

/** A read model's table and the columns (properties) of its primary key. */
export type KeyedTable<Row extends ObjectLiteral> = Readonly<{ entity: new () => Row; key: readonly (keyof Row & string)[] }>;

/**
 * The changes a projection makes to one table of rows found by their key, each one statement.
 * A `match` gives the key's columns and, optionally, other columns the row must hold (null: IS
 * NULL); a row that does not match is left alone. Run as SQL in the append transaction, and
 * during a rebuild on rows kept in memory that are inserted at the end (`keyedRowsProjection`),
 * so one event dispatch serves both and the two cannot drift apart.
 */
export interface RowWrites<Row extends ObjectLiteral> {
  /** Inserts the row, or, when its key is taken, sets the columns named (by default every one but the key) to the row's values. */
  upsert(row: Row, overwrite?: readonly (keyof Row & string)[]): Promise<void>;
  /** Sets these columns of the matching row (undefined ones are left as they are, as TypeORM does). */
  update(match: Partial<Row>, changes: Partial<Row>): Promise<void>;
  delete(match: Partial<Row>): Promise<void>;
  find(match: Partial<Row>): Promise<Row | null>;
}

/** The columns an upsert sets on a row that exists: those named, or every column of the row but the key. */
const overwritten = <Row extends ObjectLiteral>(table: KeyedTable<Row>, row: Row, overwrite: readonly string[] | undefined): readonly string[] =>
  overwrite ?? Object.keys(row).filter((column) => !table.key.includes(column));

/** An insert gives undefined columns their default, which is NULL in these tables: in memory too. */
const withNulls = <Row extends ObjectLiteral>(row: Row): Row =>
  Object.fromEntries(Object.entries(row).map(([column, value]) => [column, value === undefined ? null : value])) as Row;

const sqlRowWrites = <Row extends ObjectLiteral>(manager: EntityManager, table: KeyedTable<Row>): RowWrites<Row> => {
  const metadata = manager.connection.getMetadata(table.entity);
  const columns = (properties: readonly string[]): string[] => properties.map((property) => metadata.findColumnWithPropertyName(property)?.databaseName ?? property);
  const where = (match: Partial<Row>): FindOptionsWhere<Row> =>
    Object.fromEntries(Object.entries(match).map(([column, value]) => [column, value === null ? IsNull() : value])) as FindOptionsWhere<Row>;
  const repository = manager.getRepository(table.entity);
  return {
    upsert: async (row, overwrite) => {
      await manager.createQueryBuilder().insert().into(table.entity).values(row).orUpdate(columns(overwritten(table, row, overwrite)), columns(table.key)).updateEntity(false).execute();
    },
    update: async (match, changes) => void (await repository.update(where(match), changes as QueryDeepPartialEntity<Row>)),
    delete: async (match) => void (await repository.delete(where(match))),
    find: (match) => repository.findOneBy(where(match)),
  };
};

/** The same statements on rows in memory, for a rebuild that starts from the emptied table. */
class MemoryRows<Row extends ObjectLiteral> implements RowWrites<Row> {
  private readonly rows = new Map<string, Row>();

  constructor(private readonly table: KeyedTable<Row>) {}

  private keyOf(values: Partial<Row>): string {
    return JSON.stringify(
      this.table.key.map((column) => {
        if (values[column] === undefined) throw new Error(`a row of ${this.table.entity.name} is found by its whole key (${column} missing)`);
        return values[column];
      }),
    );
  }

  /** An undefined column in a match is refused, as TypeORM refuses it in SQL (its `invalidWhereValuesBehavior` is "throw"). */
  private matching(match: Partial<Row>): Row | undefined {
    const row = this.rows.get(this.keyOf(match));
    const entries = Object.entries(match);
    const undefinedColumn = entries.find(([, value]) => value === undefined);
    if (undefinedColumn !== undefined) throw new Error(`a row of ${this.table.entity.name} is not matched on an undefined ${undefinedColumn[0]}`);
    return row !== undefined && entries.every(([column, value]) => row[column] === value) ? row : undefined;
  }

  async upsert(row: Row, overwrite?: readonly (keyof Row & string)[]): Promise<void> {
    const key = this.keyOf(row);
    const existing = this.rows.get(key);
    const values = withNulls(row);
    if (existing === undefined) this.rows.set(key, values);
    else for (const column of overwritten(this.table, row, overwrite)) (existing as Record<string, unknown>)[column] = values[column];
  }

  async update(match: Partial<Row>, changes: Partial<Row>): Promise<void> {
    const row = this.matching(match);
    if (row === undefined) return;
    for (const [column, value] of Object.entries(changes)) if (value !== undefined) (row as Record<string, unknown>)[column] = value;
  }

  async delete(match: Partial<Row>): Promise<void> {
    if (this.matching(match) !== undefined) this.rows.delete(this.keyOf(match));
  }

  async find(match: Partial<Row>): Promise<Row | null> {
    const row = this.matching(match);
    return row === undefined ? null : { ...row };
  }

  write(manager: EntityManager): Promise<void> {
    return insertRows(manager, this.table.entity, [...this.rows.values()]);
  }
}

type WritesOf<Tables extends Record<string, KeyedTable<ObjectLiteral>>> = { [Name in keyof Tables]: RowWrites<InstanceType<Tables[Name]['entity']>> };

/**
 * A projection whose changes are RowWrites on keyed tables: `apply` runs them as SQL, and a
 * rebuild (`replay`) runs the very same dispatch on rows in memory and inserts them once.
 */
export const keyedRowsProjection = <Tables extends Record<string, KeyedTable<ObjectLiteral>>>(spec: {
  name: string;
  eventTypes: readonly string[];
  tables: Tables;
  apply: (writes: WritesOf<Tables>, event: StoredEvent) => Promise<void>;
}): InlineProjection => {
  const writesOf = (make: (table: KeyedTable<ObjectLiteral>) => RowWrites<ObjectLiteral>): WritesOf<Tables> =>
    Object.fromEntries(Object.entries(spec.tables).map(([name, table]) => [name, make(table)])) as WritesOf<Tables>;
  return {
    name: spec.name,
    eventTypes: new Set(spec.eventTypes),
    tables: Object.values(spec.tables).map((table) => table.entity),
    apply: (event, manager) => spec.apply(writesOf((table) => sqlRowWrites(manager, table)), event),
    replay: (): ProjectionReplay => {
      const memory = Object.values(spec.tables).map((table) => new MemoryRows(table));
      const writes = Object.fromEntries(Object.keys(spec.tables).map((name, index) => [name, memory[index]])) as unknown as WritesOf<Tables>;
      return {
        apply: (event) => spec.apply(writes, event),
        write: async (manager) => {
          for (const rows of memory) await rows.write(manager);
        },
      };
    },
  };
};
