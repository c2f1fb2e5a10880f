/**
 * `gatehouse rebuild` (and `migrate-store`) on PostgreSQL refuse while any instance serves the
 * database, naming each one, and run once none does: two real gateway processes on one
 * database, one killed with kill -9 (its lock goes with its connection), the other stopped.
 */
import { hostname } from 'node:os';
import { spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { runCli, type CliRun } from '../support/cli';
import { TEST_ADMIN_TOKEN } from '../support/gatehouse';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../support/postgres';
import { waitFor } from '../support/proxy';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

describePostgres('gatehouse rebuild on PostgreSQL with instances serving', () => {
  let database: TestPostgresDatabase;
  const dirs = [makeTempDir(), makeTempDir(), makeTempDir()];
  const instances: ChildGatehouse[] = [];
  const env = (dir: string): Record<string, string> => ({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_DATABASE_URL: database.url });
  const rebuild = (): Promise<CliRun> => runCli(env(dirs[2].path), 'rebuild');
  const named = (instance: ChildGatehouse): string => `pid ${instance.process.pid} on ${hostname()}`;

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    for (const dir of dirs.slice(0, 2)) instances.push(await spawnGatehouse({ ...env(dir.path), GATEHOUSE_ADMIN_TOKEN: TEST_ADMIN_TOKEN }, 30_000));
  }, 90_000);
  afterAll(async () => {
    await Promise.allSettled(instances.map((instance) => instance.kill('SIGKILL')));
    await database.drop();
    for (const dir of dirs) dir.cleanup();
  });

  it('names every serving instance and exits 1; runs once none serves', async () => {
    const [a, b] = instances;
    const refused = await rebuild();
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`gatehouse rebuild: 2 gatehouse serve instances are using ${database.url}:`);
    expect(refused.stderr).toContain(named(a));
    expect(refused.stderr).toContain(named(b));
    expect(refused.stderr).toContain('stop them, then run rebuild');

    // migrate-store refuses the same way (the PostgreSQL side is served).
    const migrate = await runCli({ ...env(dirs[2].path), GATEHOUSE_DATABASE_URL: '' }, 'migrate-store', '--from', database.url);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain(named(a));

    // kill -9: no goodbye, yet its lock ends with its connection.
    expect(await a.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const onlyB = await waitFor(async () => {
      const run = await rebuild();
      return !run.stderr.includes(named(a)) && run;
    }, 30_000, 'the killed instance to be forgotten', 200);
    expect(onlyB.code).toBe(1);
    expect(onlyB.stderr).toContain(`gatehouse rebuild: a gatehouse serve is using ${database.url}:`);
    expect(onlyB.stderr).toContain(named(b));

    expect(await b.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    const done = await rebuild();
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('read models identical to before the rebuild');
  }, 120_000);
});
