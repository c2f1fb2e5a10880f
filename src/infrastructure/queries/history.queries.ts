import type { Sql } from '../eventstore';
import type { StoredEvent } from '../eventstore';
import type { SealedSecret } from '../../domain/shared';
import { mask } from '../crypto';

/** The last global position recorded at or before `time` (0 when the log had nothing yet). */
export const positionAtTime = (sql: Sql, time: string): number =>
  sql.get<{ position: number | null }>('SELECT MAX(position) AS position FROM events WHERE recorded_at <= ?', time)?.position ?? 0;

export const resolvePosition = (sql: Sql, at: { position: number } | { time: string }): number =>
  'position' in at ? at.position : positionAtTime(sql, at.time);

const isSealedSecret = (value: object): value is SealedSecret =>
  'enc' in value && 'fp' in value && 'hint' in value && typeof (value as { enc: unknown }).enc === 'string';

/** Replaces every sealed secret inside event data by its mask: not even ciphertext leaves the API. */
export const maskSecretsDeep = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(maskSecretsDeep);
  if (typeof value !== 'object' || value === null) return value;
  if (isSealedSecret(value)) return mask(value);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskSecretsDeep(item)]));
};

/** An event as the API shows it, with secrets masked. */
export const eventView = (event: StoredEvent) => ({
  position: event.position,
  id: event.id,
  streamId: event.streamId,
  version: event.version,
  type: event.type,
  data: maskSecretsDeep(event.data),
  metadata: event.metadata,
});
