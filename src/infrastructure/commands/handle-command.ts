import type { Decider, DomainEvent } from '../../domain/shared';
import { ConcurrencyError, loadState, newEventId, type EventMetadata, type StoredEvent } from '../eventstore';
import type { ManagedEventStore, ManagedTransaction } from '../eventstore/typeorm-event-store';

/** Who is asking and under which correlation id; time and ids are supplied here, not in the domain. */
export type CommandContext = Readonly<{
  actor: string;
  correlationId: string;
  /** The stream version the client read (from `If-Match`); a mismatch is a 412. */
  expectedVersion?: number;
  now?: () => Date;
}>;

export type CommandResult<State> = Readonly<{
  events: readonly StoredEvent[];
  state: State;
  version: number;
}>;

/**
 * A command, or a function of the state (and of the transaction, for read-model lookups) that
 * builds it, for commands that need the state to be built.
 */
export type CommandOf<State, Command> = Command | ((state: State, tx: ManagedTransaction) => Command | Promise<Command>);

export const metadataFor = (context: CommandContext): EventMetadata => ({
  actor: context.actor,
  correlationId: context.correlationId,
  causationId: null,
  recordedAt: (context.now?.() ?? new Date()).toISOString(),
});

export const toNewEvents = (events: readonly DomainEvent[]) =>
  events.map((event) => ({ id: newEventId(), type: event.type, data: event.data }));

const resolve = <State, Command>(command: CommandOf<State, Command>, state: State, tx: ManagedTransaction): Command | Promise<Command> =>
  typeof command === 'function' ? (command as (state: State, tx: ManagedTransaction) => Command | Promise<Command>)(state, tx) : command;

export type DecidedAppend<State> = Readonly<{ streamId: string; events: readonly DomainEvent[]; version: number; state: State }>;

/** Loads a stream in the transaction and decides on it, without appending. */
export const decideOnStream = async <State, Command, Event extends DomainEvent>(
  tx: ManagedTransaction,
  decider: Decider<State, Command, Event>,
  streamId: string,
  command: CommandOf<State, Command>,
): Promise<DecidedAppend<State>> => {
  const { state, version } = await loadState(tx, decider, streamId);
  return { streamId, events: decider.decide(await resolve(command, state, tx), state), version, state };
};

/**
 * Loads the stream, folds it, decides and appends, all in one store transaction: the state a
 * command is decided on is the state it is appended to (the store has one writer). A client that
 * pinned a version with If-Match gets a ConcurrencyError when the stream has moved on.
 */
export const handleCommand = <State, Command, Event extends DomainEvent>(
  store: ManagedEventStore,
  decider: Decider<State, Command, Event>,
  streamId: string,
  command: CommandOf<State, Command>,
  context: CommandContext,
): Promise<CommandResult<State>> =>
  store.transact(async (tx) => {
    const { state, version } = await loadState(tx, decider, streamId);
    if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
      throw new ConcurrencyError(streamId, context.expectedVersion, version);
    }
    const events = decider.decide(await resolve(command, state, tx), state);
    if (events.length === 0) return { events: [], state, version };
    const result = await tx.append(streamId, toNewEvents(events), version, metadataFor(context));
    return { events: result.events, state: events.reduce(decider.evolve, state), version: result.versions[streamId] };
  }, { rerunnable: true });

/** Appends, inside a transaction, what several deciders decided in it (streams with nothing to add are left out). */
export const appendDecided = async (tx: ManagedTransaction, decided: readonly DecidedAppend<unknown>[], context: CommandContext): Promise<readonly StoredEvent[]> => {
  const appends = decided.filter((append) => append.events.length > 0);
  if (appends.length === 0) return [];
  const result = await tx.appendMany(
    appends.map((append) => ({ streamId: append.streamId, events: toNewEvents(append.events), expectedVersion: append.version })),
    metadataFor(context),
  );
  return result.events;
};

/** Appends what several deciders decided in one transaction (a server removed and detached everywhere, an import). */
export const handleMultiStream = (
  store: ManagedEventStore,
  plan: (tx: ManagedTransaction) => Promise<readonly DecidedAppend<unknown>[]>,
  context: CommandContext,
): Promise<readonly StoredEvent[]> => store.transact(async (tx) => appendDecided(tx, await plan(tx), context), { rerunnable: true });
