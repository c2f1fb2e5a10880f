import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { StoredEvent } from './types';

/**
 * A projection that runs inside the append transaction, so a client reads its own writes and
 * a projection that throws rolls the append back. Projections must be idempotent (upserts
 * keyed on ids) so that replaying the log twice gives the same rows.
 */
export interface InlineProjection {
  readonly name: string;
  readonly eventTypes: ReadonlySet<string>;
  /** The tables this projection owns: emptied before a rebuild. */
  readonly tables: readonly EntityTarget<ObjectLiteral>[];
  apply(event: StoredEvent, manager: EntityManager): Promise<void>;
  /**
   * For a rebuild, which starts from empty tables: builds the rows in memory instead, and writes
   * them in bulk at the end (a statement per event is what makes a replay slow, on PostgreSQL
   * most of all). The rows must be those `apply` would leave. Without it, a rebuild uses `apply`.
   */
  replay?(): ProjectionReplay;
}

/** A rebuild's rows of one projection, built from every event in log order, then written once. */
export interface ProjectionReplay {
  apply(event: StoredEvent): Promise<void>;
  /** Inserts the rows built (into the emptied tables). */
  write(manager: EntityManager): Promise<void>;
}

/**
 * A rule over what may be appended that needs more than one stream's state (a name no other
 * server has). It is checked inside the append transaction, before each event of its types is
 * stored, against the read models as the earlier events of the same transaction left them;
 * throwing refuses the whole append. Replays do not check: the log is what happened.
 */
export interface AppendGuard {
  readonly eventTypes: ReadonlySet<string>;
  check(event: StoredEvent, manager: EntityManager): Promise<void>;
}
