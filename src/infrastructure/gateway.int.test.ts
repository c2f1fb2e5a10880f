import { openTestApplication } from '../../test/support/application';
import { makeTempDir } from '../../test/support/temp-dir';
import type { Application } from './application';
import { storageOf } from './application-storage';
import { startGateway } from './gateway';
import { Observability } from './telemetry/observability';

describe('a gateway whose start fails part-way', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let app: Application;

  beforeEach(async () => {
    dir = makeTempDir();
    app = await openTestApplication(dir.path);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await app.close();
    dir.cleanup();
  });

  it('closes what it had opened (its caches stop following the log), then rejects', async () => {
    // A real failure after the caches subscribed to the follower's events: Observability.open
    // cannot read the servers' secrets. The spy only passes the call on, to see those events.
    await storageOf(app).database.write((manager) => manager.query('DROP TABLE servers'));
    const openObservability = jest.spyOn(Observability, 'open');
    await expect(startGateway(app, { adminToken: 'admin-token-for-tests', publicUrl: () => 'http://127.0.0.1:1' })).rejects.toThrow(/no such table: servers/);
    expect(openObservability).toHaveBeenCalledTimes(1);
    let ended = false;
    openObservability.mock.calls[0][0].events$.subscribe({ complete: () => (ended = true) });
    expect(ended).toBe(true);
  });
});
