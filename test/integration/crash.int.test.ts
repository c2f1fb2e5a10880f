import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openTestApplication } from '../support/application';
import { spawnGatehouse, type ChildGatehouse } from '../support/child-gatehouse';
import { dumpReadModels } from '../support/read-models';
import { StoredRows } from '../support/sqlite';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';
import { storageOf } from '../../src/infrastructure/application-storage';

const ADMIN_TOKEN = 'crash-test-admin-token-0123456789';
const TOTAL = 800;
/** Enough writers that commits are grouped (many jobs per transaction), as under a real burst. */
const CONCURRENCY = 32;
/** SIGKILL once this many creations were acknowledged: well inside the burst. */
const KILL_AFTER = 250;

const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

describe('kill -9 during a burst of writes (compiled server: run `npm run build` first)', () => {
  const dir = makeTempDir('gatehouse-crash-');
  const env = { GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY };
  const children: ChildGatehouse[] = [];

  afterAll(async () => {
    for (const child of children) await child.kill('SIGKILL');
    dir.cleanup();
  });

  const acknowledged: string[] = [];
  let attempted = 0;

  it('loses no write that was acknowledged with 201', async () => {
    const first = await spawnGatehouse(env);
    children.push(first);
    let killing: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
    let unanswered = 0;

    const worker = async (): Promise<void> => {
      while (killing === undefined && attempted < TOTAL) {
        const slug = `burst-${attempted}`;
        attempted += 1;
        try {
          const response = await fetch(`${first.url}/api/profiles`, { method: 'POST', headers, body: JSON.stringify({ slug }), signal: AbortSignal.timeout(10_000) });
          await response.arrayBuffer();
          if (response.status !== 201) throw new Error(`POST ${slug}: ${response.status}`);
          acknowledged.push(slug);
        } catch (error) {
          if (killing === undefined) throw error;
          unanswered += 1;
        }
        if (acknowledged.length >= KILL_AFTER && killing === undefined) killing = first.kill('SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(await killing).toEqual({ code: null, signal: 'SIGKILL' });
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(attempted).toBeLessThan(TOTAL);
    expect(unanswered).toBeLessThanOrEqual(CONCURRENCY);
    expect(existsSync(join(dir.path, 'gatehouse.db-wal'))).toBe(true);

    const second = await spawnGatehouse(env);
    children.push(second);
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    const listed = (await (await fetch(`${second.url}/api/profiles`, { headers })).json()) as { profiles: { slug: string; version: number }[] };
    const slugs = new Set(listed.profiles.map((profile) => profile.slug));
    expect(acknowledged.filter((slug) => !slugs.has(slug))).toEqual([]);
    expect(slugs.size).toBeLessThanOrEqual(acknowledged.length + unanswered);
    for (const slug of acknowledged.filter((_, index) => index % 10 === 0)) {
      const response = await fetch(`${second.url}/api/profiles/${slug}`, { headers });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ slug, status: 'active', version: 1 });
    }

    const after = await fetch(`${second.url}/api/profiles`, { method: 'POST', headers, body: JSON.stringify({ slug: 'after-restart' }) });
    expect(after.status).toBe(201);
    await after.arrayBuffer();
    expect(await second.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('left a log whose read models equal a rebuild, one profile per ProfileCreated', async () => {
    const db = await openTestApplication(dir.path);
    const stored = new StoredRows(join(dir.path, 'gatehouse.db'));
    try {
      const created = await db.store.readAll({ types: ['ProfileCreated'] });
      const rows = stored.all<{ slug: string }>(`SELECT slug FROM profiles WHERE status = 'active'`);
      expect(created).toHaveLength(rows.length);
      expect(new Set(rows.map((row) => row.slug))).toEqual(new Set(created.map((event) => (event.data as { slug: string }).slug)));
      expect(await db.store.headPosition()).toBe(created.length);
      expect(rows.length).toBeGreaterThanOrEqual(acknowledged.length + 1);

      const incremental = dumpReadModels(stored);
      await storageOf(db).store.rebuild();
      expect(dumpReadModels(stored)).toEqual(incremental);
      expect(stored.get<{ integrity_check: string }>('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    } finally {
      stored.close();
      await db.close();
    }
  });
});
