import { DatabaseUnavailableError, isDatabaseUnavailable } from './database-errors';

/** An error as a driver hands it over: a message, and the fields it sets. */
const failure = (message: string, fields: Record<string, unknown> = {}): Error => Object.assign(new Error(message), fields);

describe('isDatabaseUnavailable: "the database could not be reached", not "this statement failed"', () => {
  it.each([
    ['our own error for it', new DatabaseUnavailableError(new Error('connect ECONNREFUSED 127.0.0.1:5432'))],
    ['PostgreSQL connection exception (08006)', failure('connection failure', { code: '08006' })],
    ['PostgreSQL admin shutdown (57P01)', failure('terminating connection due to administrator command', { code: '57P01' })],
    ['PostgreSQL crash shutdown (57P02)', failure('terminating connection because of crash of another server process', { code: '57P02' })],
    ['a refused connection', failure('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })],
    ['a reset connection', failure('read ECONNRESET', { code: 'ECONNRESET' })],
    ['SQLite locked past its busy timeout', failure('database is locked', { code: 'SQLITE_BUSY' })],
    ['pg, the server gone mid-query', failure('Connection terminated unexpectedly')],
    ['pg, a client whose connection failed', failure('Client has encountered a connection error and is not queryable')],
    ['TypeORM, a connection it gave up', failure('Query runner already released. Cannot run queries anymore.', { name: 'QueryRunnerProviderAlreadyReleasedError' })],
    ['TypeORM, the driver error inside', failure('Query failed', { driverError: failure('read ECONNRESET', { code: 'ECONNRESET' }) })],
    ['a cause three deep', new Error('command failed', { cause: new Error('write failed', { cause: failure('connect ECONNREFUSED', { code: 'ECONNREFUSED' }) }) })],
  ])('yes: %s', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', failure('duplicate key value violates unique constraint', { code: '23505' })],
    ['a syntax error (42601)', failure('syntax error at or near "SELEC"', { code: '42601' })],
    ['a SQLite constraint', failure('UNIQUE constraint failed: profiles.slug', { code: 'SQLITE_CONSTRAINT_UNIQUE' })],
    ['a record that cannot be parsed', new SyntaxError('Unexpected token } in JSON at position 12')],
    ['a cause deeper than five', [1, 2, 3, 4, 5].reduce<Error>((inner) => new Error('wrapped', { cause: inner }), failure('connect ECONNREFUSED', { code: 'ECONNREFUSED' }))],
    ['not an object', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('no: %s', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
