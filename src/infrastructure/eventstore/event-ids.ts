import { randomUUID } from 'node:crypto';

/** Ids minted and not appended yet; past this many (ids minted for appends that never came), it starts again. */
const MAX_MINTED = 100_000;
const minted = new Set<string>();
/** Streams named after an id from newStreamId, not read by a write transaction yet; bounded as `minted` is. */
const mintedStreams = new Set<string>();

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

/**
 * A new id (a random UUID) for the stream `streamOf` names with it: that stream is in no log
 * yet, so the first read of it in a write transaction answers "empty" without asking (a round
 * trip on PostgreSQL for every create); from then on, and whenever this process forgot it, it is
 * read as any other. The streams table's key stays the last word: an append that takes such a
 * stream for new when it is not fails on it.
 */
export const newStreamId = (streamOf: (id: string) => string): string => {
  if (mintedStreams.size >= MAX_MINTED) mintedStreams.clear();
  const id = randomUUID();
  mintedStreams.add(streamOf(id));
  return id;
};

/**
 * True the first time a stream named by newStreamId is read or appended to (it is forgotten
 * then), false for any other stream.
 */
export const firstUseOfMinted = (streamId: string): boolean => mintedStreams.delete(streamId);
