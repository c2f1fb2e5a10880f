import { Client } from 'pg';
import { createTestPostgresDatabase, describePostgres, type TestPostgresDatabase } from '../../../test/support/postgres';
import { ENTITIES } from '../application';
import { Database } from '../persistence/database';
import { Keyring } from './keyring';

const MASTER_KEY = Buffer.alloc(32, 7);

describePostgres('Keyring on PostgreSQL: the first data key', () => {
  let store: TestPostgresDatabase;
  beforeAll(async () => {
    store = await createTestPostgresDatabase();
  });
  afterAll(() => store.drop());

  it('is made once when two instances open an empty store at the same time: both seal and derive with it', async () => {
    const first = await Database.open({ path: '', url: store.url, entities: ENTITIES });
    const second = await Database.open({ path: '', url: store.url, entities: ENTITIES });
    try {
      const [a, b] = await Promise.all([new Keyring(first).open(MASTER_KEY), new Keyring(second).open(MASTER_KEY)]);
      const client = new Client({ connectionString: store.url });
      await client.connect();
      try {
        expect((await client.query('SELECT id FROM data_keys')).rows).toHaveLength(1);
      } finally {
        await client.end();
      }
      expect(b.open(a.seal('sealed by a'))).toBe('sealed by a');
      expect(a.deriveKey('purpose').equals(b.deriveKey('purpose'))).toBe(true);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
