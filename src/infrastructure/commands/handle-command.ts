import { randomUUID } from 'node:crypto';
import type { Decider, DomainEvent } from '../../domain/shared';
import { ConcurrencyError, type EventMetadata, type EventStore, type StoredEvent } from '../eventstore';

/** Who is asking and under which correlation id; time and ids are supplied here, not in the domain. */
export type CommandContext = Readonly<{
  actor: string;
  correlationId: string;
  /** The stream version the client read (from `If-Match`); a mismatch is a 412, never retried. */
  expectedVersion?: number;
  now?: () => Date;
}>;

export type CommandResult<State> = Readonly<{
  events: readonly StoredEvent[];
  state: State;
  version: number;
}>;

const MAX_ATTEMPTS = 5;

export const metadataFor = (context: CommandContext): EventMetadata => ({
  actor: context.actor,
  correlationId: context.correlationId,
  causationId: null,
  recordedAt: (context.now?.() ?? new Date()).toISOString(),
});

export const toNewEvents = (events: readonly DomainEvent[]) =>
  events.map((event) => ({ id: randomUUID(), type: event.type, data: event.data }));

/**
 * Loads the stream, folds it, decides, and appends with the version it read. On a conflict it
 * decides again on the fresh state (decide is pure, so retrying is safe) unless the client
 * pinned the version with If-Match, in which case the conflict is the client's answer.
 * `command` may be a function of the state, for commands that need the state to be built.
 */
export const handleCommand = async <State, Command, Event extends DomainEvent>(
  store: EventStore,
  decider: Decider<State, Command, Event>,
  streamId: string,
  command: Command | ((state: State) => Command),
  context: CommandContext,
): Promise<CommandResult<State>> => {
  for (let attempt = 1; ; attempt += 1) {
    const { state, version } = await loadStateAt(store, decider, streamId);
    if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
      throw new ConcurrencyError(streamId, context.expectedVersion, version);
    }
    const resolved = typeof command === 'function' ? (command as (state: State) => Command)(state) : command;
    const events = decider.decide(resolved, state);
    if (events.length === 0) return { events: [], state, version };
    try {
      const result = await store.append(streamId, toNewEvents(events), version, metadataFor(context));
      return { events: result.events, state: events.reduce(decider.evolve, state), version: result.versions[streamId] };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || context.expectedVersion !== undefined || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
};

/** Folds a stream up to a global position: the state "as it was" at that moment. */
export const loadStateAt = async <State, Event extends DomainEvent>(
  store: EventStore,
  decider: Pick<Decider<State, never, Event>, 'evolve' | 'initialState'>,
  streamId: string,
  upTo?: number,
): Promise<{ state: State; version: number; events: StoredEvent[] }> => {
  const events = await store.readStream(streamId, upTo === undefined ? {} : { upTo });
  const state = events.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as Event), decider.initialState());
  return { state, version: events.length === 0 ? 0 : events[events.length - 1].version, events };
};

export type DecidedAppend<State> = Readonly<{ streamId: string; events: readonly DomainEvent[]; version: number; state: State }>;

/** Decides on one stream without appending, for commands that must change several streams at once. */
export const decideOnStream = async <State, Command, Event extends DomainEvent>(
  store: EventStore,
  decider: Decider<State, Command, Event>,
  streamId: string,
  command: Command | ((state: State) => Command),
): Promise<DecidedAppend<State>> => {
  const { state, version } = await loadStateAt(store, decider, streamId);
  const resolved = typeof command === 'function' ? (command as (state: State) => Command)(state) : command;
  return { streamId, events: decider.decide(resolved, state), version, state };
};

/**
 * Appends what several deciders decided, in one transaction, each stream at the version it was
 * decided on; on a conflict the whole plan is decided again.
 */
export const handleMultiStream = async (
  store: EventStore,
  plan: () => Promise<readonly DecidedAppend<unknown>[]>,
  context: CommandContext,
): Promise<readonly StoredEvent[]> => {
  for (let attempt = 1; ; attempt += 1) {
    const decided = (await plan()).filter((append) => append.events.length > 0);
    if (decided.length === 0) return [];
    try {
      const result = await store.appendMany(
        decided.map((append) => ({ streamId: append.streamId, events: toNewEvents(append.events), expectedVersion: append.version })),
        metadataFor(context),
      );
      return result.events;
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
};
