import { DomainError, fold, type Decider, type DomainErrorCode, type DomainEvent } from '../../src/domain/shared';

/** What `decide` did with a command: the events it appended, or the code of the rule it broke. */
export type Decision<Event> =
  | Readonly<{ events: Event[] }>
  | Readonly<{ error: DomainErrorCode; details?: Readonly<Record<string, unknown>> }>;

/**
 * Given/when for decider unit tests, in the spirit of Emmett's DeciderSpecification: fold the
 * given events, decide the command, and return the outcome as a value that plain `expect`
 * matchers can check. It lives with the tests: the domain holds no test code.
 */
export const deciderSpec = <State, Command, Event extends DomainEvent>(decider: Decider<State, Command, Event>) => ({
  given: (...events: Event[]) => ({
    when: (command: Command): Decision<Event> => {
      const state = fold(decider, events);
      try {
        return { events: decider.decide(command, state) };
      } catch (error) {
        if (error instanceof DomainError) return { error: error.code, details: error.details };
        throw error;
      }
    },
    state: (): State => fold(decider, events),
  }),
});
