import type { Decider, DomainEvent } from '../../domain/shared';
import type { EventLog, StoredEvent } from './types';

export type FoldedStream<State> = Readonly<{ state: State; version: number; events: StoredEvent[] }>;

/**
 * Folds a stream with a decider's `evolve`, up to a global position when one is given: the state
 * "as it was" at that moment. Commands decide on it; time travel shows it.
 */
export const loadState = async <State, Event extends DomainEvent>(
  log: EventLog,
  decider: Pick<Decider<State, never, Event>, 'evolve' | 'initialState'>,
  streamId: string,
  upTo?: number,
): Promise<FoldedStream<State>> => {
  const events = await log.readStream(streamId, upTo === undefined ? {} : { upTo });
  const state = events.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as Event), decider.initialState());
  return { state, version: events.length === 0 ? 0 : events[events.length - 1].version, events };
};
