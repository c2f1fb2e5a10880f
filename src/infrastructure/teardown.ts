import { errorMessage } from '../domain/shared';

/**
 * Runs every step of a teardown in order, each whether or not the ones before it failed, so one
 * failing step (a connection that will not close) does not leave the database open or the
 * upstream processes running. Once all have run, a single failure is rethrown as it is; several
 * are rethrown together as an AggregateError whose message names each, so none goes unseen.
 */
export const closeInOrder = async (steps: readonly (() => unknown)[]): Promise<void> => {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const messages = failures.map(errorMessage);
    throw new AggregateError(failures, `${failures.length} steps of the close failed: ${messages.join('; ')}`);
  }
};
