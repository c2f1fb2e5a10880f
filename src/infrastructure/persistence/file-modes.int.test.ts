import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTestDatabase } from '../../../test/support/application';
import { makeTempDir } from '../../../test/support/temp-dir';

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('database file modes', () => {
  let dir: ReturnType<typeof makeTempDir>;
  const previousUmask = process.umask(0o022); // what most shells run with: files 0644 unless created otherwise

  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.cleanup());
  afterAll(() => process.umask(previousUmask));

  it('creates the database, its log and its index readable by their owner only', async () => {
    const db = await openTestDatabase(dir.path);
    try {
      await db.write(async (manager) => manager.query(`INSERT INTO settings (key, value, updated_at) VALUES ('probe', '1', '2026-01-01')`));
      const path = join(dir.path, 'gatehouse.db');
      expect([modeOf(path), modeOf(`${path}-wal`), modeOf(`${path}-shm`)]).toEqual(['600', '600', '600']);
      expect(db.looseFiles).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('reports existing files that others can read, and leaves their mode as their owner set it', async () => {
    const path = join(dir.path, 'shared.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const db = await openTestDatabase(dir.path, 'shared.db');
    try {
      expect(db.looseFiles).toEqual([`${path} is 0644`]);
      expect(modeOf(path)).toBe('644');
    } finally {
      await db.close();
    }
    const again = await openTestDatabase(dir.path, 'shared.db');
    try {
      expect(again.looseFiles).toContain(`${path} is 0644`);
    } finally {
      await again.close();
    }
  });
});
