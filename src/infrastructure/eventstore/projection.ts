import type { Sql } from './sql';
import type { StoredEvent } from './types';

/**
 * A projection that runs inside the append transaction, so a client reads its own writes and
 * a projection that throws rolls the append back. Projections must be idempotent (upserts
 * keyed on ids) so that replaying the log twice gives the same rows.
 */
export interface InlineProjection {
  readonly name: string;
  readonly eventTypes: ReadonlySet<string>;
  /** Tables this projection owns: emptied before a rebuild. */
  readonly tables: readonly string[];
  apply(event: StoredEvent, sql: Sql): void;
}
