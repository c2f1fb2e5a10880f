import type { EntityManager } from 'typeorm';

/**
 * Values that live as long as one write transaction and follow its savepoints: what a job set
 * is forgotten when its savepoint is rolled back, as its rows are. The event store keeps in it
 * what it knows of the transaction in progress (the next global position, the streams appended
 * to), which would otherwise cost a statement per job to ask for. Values are replaced, never
 * changed in place: a job's savepoint keeps the map as it was, not copies of the values.
 */
export class TransactionScope {
  private values = new Map<symbol, unknown>();
  private saved: ReadonlyMap<symbol, unknown> = this.values;

  get<T>(key: symbol): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set<T>(key: symbol, value: T): void {
    this.values.set(key, value);
  }

  /** A job starts (its savepoint is taken): what it sets from here is forgotten by `rollBack`. */
  savepoint(): void {
    this.saved = new Map(this.values);
  }

  /** The job's savepoint was rolled back. */
  rollBack(): void {
    this.values = new Map(this.saved);
  }
}

/** The event log's head when the transaction started, when its BEGIN read it (see StorageBackend.begin). */
export const LOG_HEAD_AT_BEGIN = Symbol('the event log head at BEGIN');

const scopes = new WeakMap<EntityManager, TransactionScope>();

/** The scope of the write transaction `manager` is in; undefined outside one of Database's write transactions. */
export const transactionScope = (manager: EntityManager): TransactionScope | undefined => scopes.get(manager);

/** For Database: `manager` runs the transaction of `scope` until `end`. */
export const openScope = (manager: EntityManager): TransactionScope => {
  const scope = new TransactionScope();
  scopes.set(manager, scope);
  return scope;
};

export const closeScope = (manager: EntityManager): void => {
  scopes.delete(manager);
};
