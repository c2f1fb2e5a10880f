import type { SealedSecret } from '../../domain/shared';
import { mask } from '../crypto';
import type { EventLog, StoredEvent } from './types';

/** `?at=`: a global position as given, or the last position recorded at or before a time. */
export const resolvePosition = async (log: EventLog, at: { position: number } | { time: string }): Promise<number> =>
  'position' in at ? at.position : log.positionAt(at.time);

const isSealedSecret = (value: object): value is SealedSecret =>
  'enc' in value && 'fp' in value && 'hint' in value && typeof (value as { enc: unknown }).enc === 'string';

/** Replaces every sealed secret inside event data by its mask: not even ciphertext leaves the API. */
export const maskSecretsDeep = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(maskSecretsDeep);
  if (typeof value !== 'object' || value === null) return value;
  if (isSealedSecret(value)) return mask(value);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskSecretsDeep(item)]));
};

/** Fields that hold a password hash: a salted scrypt hash, but still something to crack offline, so never shown. */
const HIDDEN_FIELDS = new Set(['passwordHash']);
export const HIDDEN = '[hidden]';

const hideFields = (data: unknown): unknown =>
  typeof data === 'object' && data !== null && !Array.isArray(data)
    ? Object.fromEntries(Object.entries(data).map(([key, item]) => [key, HIDDEN_FIELDS.has(key) ? HIDDEN : item]))
    : data;

/** An event as the API shows it, with secrets masked and password hashes hidden. */
export const eventView = (event: StoredEvent) => ({
  position: event.position,
  id: event.id,
  streamId: event.streamId,
  version: event.version,
  type: event.type,
  data: hideFields(maskSecretsDeep(event.data)),
  metadata: event.metadata,
});
