/**
 * The decider pattern (as in Emmett): a stream's behaviour is three pure functions.
 * `decide` turns a command and the current state into new events (or throws a DomainError),
 * `evolve` folds one event into the state and never throws, `initialState` starts the fold.
 */
export type DomainEvent<Type extends string = string, Data = unknown> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

/**
 * A command as in Emmett: an imperative `type` and its `data`. Ids and times the decision needs
 * arrive in the data, so that `decide` stays pure.
 */
export type DomainCommand<Type extends string = string, Data = unknown> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

export type Decider<State, Command, Event extends DomainEvent> = {
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
};

export const fold = <State, Event extends DomainEvent>(
  decider: Pick<Decider<State, never, Event>, 'evolve' | 'initialState'>,
  events: readonly Event[],
): State => events.reduce(decider.evolve, decider.initialState());

/**
 * The end of an `evolve` switch: every event of the union has its case (the `never` says so when
 * it compiles), and an event of a type this build does not know (written by a newer version)
 * leaves the state as it is rather than failing the fold.
 */
export const unknownEvent = <State>(_event: never, state: State): State => state;

export const assertNever = (value: never): never => {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
};
