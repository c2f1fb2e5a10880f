import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The PostgreSQL leg of the tests: the server named by GATEHOUSE_TEST_POSTGRES_URL (default the
 * development and CI machines' server), where each suite creates a database of its own and
 * drops it. Without a server the leg is skipped with a warning that says why; under CI
 * (CI=true) it fails instead, so it never passes silently where it must run.
 */
export const POSTGRES_SERVER_URL = process.env.GATEHOUSE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const PROBE = `
const { Client } = require('pg');
const client = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
client.connect().then(() => client.query('SELECT 1')).then(() => client.end()).then(
  () => process.exit(0),
  (error) => { process.stderr.write(String(error && error.message || error)); process.exit(1); },
);`;

let probed: string | null | undefined;

/** Why the server cannot be used (null: it answers). Probed once per test file, synchronously, so that describe blocks can be chosen. */
export const postgresUnavailable = (): string | null => {
  if (probed !== undefined) return probed;
  try {
    execFileSync(process.execPath, ['-e', PROBE, POSTGRES_SERVER_URL], { cwd: __dirname, stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    probed = null;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    probed = `no PostgreSQL server answers at ${POSTGRES_SERVER_URL}: ${stderr || (error as Error).message}`;
  }
  return probed;
};

/**
 * `describe` for a PostgreSQL leg: runs it when the server answers; otherwise warns and skips
 * it, or fails under CI.
 */
export const describePostgres = (name: string, body: () => void): void => {
  const reason = postgresUnavailable();
  if (reason === null) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs the PostgreSQL server (CI=true: the leg must run)', () => {
        throw new Error(reason);
      });
    });
  } else {
    console.warn(`SKIPPED the PostgreSQL leg "${name}": ${reason} (set GATEHOUSE_TEST_POSTGRES_URL to a server to run it)`);
    describe.skip(name, body);
  }
};

const withServer = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: POSTGRES_SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

export type TestPostgresDatabase = Readonly<{ name: string; url: string; drop: () => Promise<void> }>;

/** A new, empty database on the test server; `drop` removes it (closing whatever is still connected). */
export const createTestPostgresDatabase = async (): Promise<TestPostgresDatabase> => {
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  await withServer((client) => client.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`));
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => withServer(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))) };
};
