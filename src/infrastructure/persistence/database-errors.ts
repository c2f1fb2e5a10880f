/** What a write through the Database can fail with, beside the statement's own errors: what the edges map to 503. */

/**
 * The database cannot be reached now (PostgreSQL stopped or the network is down; SQLite locked
 * past its busy timeout): the write was not done. REST answers 503 and the caller may retry.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(cause: unknown) {
    super(`the database is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** PostgreSQL's connection-exception and shutdown classes, and the socket errors of a server that went away. */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[123])/;
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'SQLITE_BUSY']);

/**
 * TypeORM's answer to every statement on a connection it has given up (the server ended it, or
 * its socket failed): the first failure of a lost connection may reach a job as this instead of
 * as the driver's error.
 */
const RUNNER_RELEASED = 'QueryRunnerProviderAlreadyReleasedError';

/** Whether an error means "the database could not be reached" rather than "this statement failed". */
export const isDatabaseUnavailable = (error: unknown): boolean => {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; current = (current as { cause?: unknown }).cause, depth += 1) {
    if (current instanceof DatabaseUnavailableError) return true;
    const { code, driverError, message, name } = current as { code?: unknown; driverError?: unknown; message?: unknown; name?: unknown };
    if (name === RUNNER_RELEASED) return true;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET.has(code))) return true;
    if (typeof message === 'string' && /Connection terminated|connection is closed|Client has encountered a connection error/i.test(message)) return true;
    if (driverError !== undefined && isDatabaseUnavailable(driverError)) return true;
  }
  return false;
};

/**
 * A write refused because too many are already waiting (admission control): an answer now,
 * rather than a wait that grows without bound. Nothing of it was done; it can be retried.
 */
export class DatabaseBusyError extends Error {
  override readonly name = 'DatabaseBusyError';
  readonly code = 'DATABASE_BUSY';
  constructor(readonly pending: number) {
    super(`${pending} writes are already waiting; retry shortly`);
  }
}
