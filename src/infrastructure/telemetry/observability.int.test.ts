import { Subject } from 'rxjs';
import { openTestApplication } from '../../../test/support/application';
import { makeTempDir } from '../../../test/support/temp-dir';
import type { Application } from '../application';
import { storageOf } from '../application-storage';
import type { StoredEvent } from '../eventstore';
import { Observability } from './observability';

describe('Observability', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let app: Application;
  let events: Subject<StoredEvent>;
  const open = () => Observability.open({ database: storageOf(app).database, secrets: app.secrets, events$: events, adminToken: 'admin-token-for-tests', logLevel: 'info' });

  beforeEach(async () => {
    dir = makeTempDir();
    app = await openTestApplication(dir.path);
    events = new Subject<StoredEvent>();
  });

  afterEach(async () => {
    await app.close();
    dir.cleanup();
  });

  it('follows the committed events from its open to its close', async () => {
    const observability = await open();
    expect(events.observed).toBe(true);
    await observability.close();
    expect(events.observed).toBe(false);
  });

  it('whose open fails part-way (the secrets cannot be read) stops following the events, then rejects', async () => {
    await storageOf(app).database.write((manager) => manager.query('DROP TABLE servers'));
    await expect(open()).rejects.toThrow(/no such table: servers/);
    expect(events.observed).toBe(false);
  });
});
