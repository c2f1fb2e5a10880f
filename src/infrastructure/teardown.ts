/**
 * Runs every step of a teardown in order, each whether or not the ones before it failed, so one
 * failing step (a connection that will not close) does not leave the database open or the
 * upstream processes running. The first failure is rethrown once all have run.
 */
export const closeInOrder = async (steps: readonly (() => unknown)[]): Promise<void> => {
  let first: { error: unknown } | undefined;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      first ??= { error };
    }
  }
  if (first) throw first.error;
};
