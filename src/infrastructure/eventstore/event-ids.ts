import { randomUUID } from 'node:crypto';

/** Ids minted and not appended yet; past this many (ids minted for appends that never came), it starts again. */
const MAX_MINTED = 100_000;
const minted = new Set<string>();

/**
 * A new event id (a random UUID). The store knows it is in no log yet, so its first append
 * skips the look-up that makes a retried append idempotent (a round trip on PostgreSQL for
 * every command): an id is looked up from its second append on, and whenever this process
 * forgot it. The unique index on event ids stays the last word either way.
 */
export const newEventId = (): string => {
  if (minted.size >= MAX_MINTED) minted.clear();
  const id = randomUUID();
  minted.add(id);
  return id;
};

/** True the first time an id from newEventId is appended (it is forgotten then), false for any other id. */
export const firstAppendOfMinted = (id: string): boolean => minted.delete(id);
