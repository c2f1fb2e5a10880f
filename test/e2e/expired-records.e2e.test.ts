/**
 * The serving gateway sweeps runtime records past their expiry (GATEHOUSE_EXPIRED_SWEEP_SECONDS):
 * real rows in the gateway's SQLite file, written through their owners, some expired and some
 * live; the expired authorization-server records, browser sessions (past their lifetime or idle
 * too long) and setup links go, the live ones stay, and the pass is logged with counts only.
 */
import { SESSION_IDLE_MS, SESSION_LIFETIME_MS, SETUP_LINK_LIFETIME_MS, SetupLinks, UserSessions } from '../../src/infrastructure/sessions';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse';
import { waitFor } from '../support/proxy';
import { storageOf } from '../../src/infrastructure/application-storage';

const HOUR_MS = 3_600_000;

describe('the sweep of expired records', () => {
  const lines: string[] = [];
  let gh: TestGatehouse;

  beforeAll(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_EXPIRED_SWEEP_SECONDS: '1' }, { write: (line) => void lines.push(line) });
  });
  afterAll(() => gh?.stop());

  it('deletes expired oauth_server_records, user_sessions and setup_links and keeps the live ones', async () => {
    const { app } = gh;
    const now = Math.floor(Date.now() / 1000);
    const records = app.oauthServerRecords;
    await records.upsert({ model: 'AccessToken', id: 'expired-token', payload: '{}', expiresAt: now - 10 });
    await records.upsert({ model: 'Interaction', id: 'expired-interaction', payload: '{}', expiresAt: now - 1 });
    await records.upsert({ model: 'AccessToken', id: 'live-token', payload: '{}', expiresAt: now + 3600 });
    await records.upsert({ model: 'Client', id: 'client-without-expiry', payload: '{}', expiresAt: null });

    // Live ones first: opening a session or issuing a link drops what has lapsed at that moment.
    await app.sessions.open('user-live');
    await app.setupLinks.issue();
    const at = (msAgo: number) => () => new Date(Date.now() - msAgo);
    await new UserSessions(storageOf(app).database, at(SESSION_LIFETIME_MS + HOUR_MS)).open('user-lapsed');
    await new UserSessions(storageOf(app).database, at(SESSION_IDLE_MS + HOUR_MS)).open('user-idle');
    await new SetupLinks(storageOf(app).database, at(SETUP_LINK_LIFETIME_MS + HOUR_MS)).issue();
    expect(gh.sql.all('SELECT user_id FROM user_sessions')).toHaveLength(3);
    expect(gh.sql.all('SELECT token_hash FROM setup_links')).toHaveLength(2);

    await waitFor(() => gh.sql.all('SELECT key FROM oauth_server_records').length === 2 && gh.sql.all('SELECT user_id FROM user_sessions').length === 1 && gh.sql.all('SELECT token_hash FROM setup_links').length === 1, 5_000, 'the sweep');
    expect(gh.sql.all<{ model: string }>('SELECT model FROM oauth_server_records ORDER BY model').map((row) => row.model)).toEqual(['AccessToken', 'Client']);
    expect(await records.find('AccessToken', 'live-token')).not.toBeNull();
    expect(gh.sql.all<{ user_id: string }>('SELECT user_id FROM user_sessions')).toEqual([{ user_id: 'user-live' }]);
    expect(gh.sql.all<{ expires_at: string }>('SELECT expires_at FROM setup_links')[0].expires_at > new Date().toISOString()).toBe(true);

    const removed = (): Record<string, number> =>
      lines
        .map((line) => JSON.parse(line) as { msg: string; removed?: Record<string, number> })
        .filter((line) => line.msg === 'expired records removed')
        .reduce<Record<string, number>>((sum, line) => {
          for (const [table, count] of Object.entries(line.removed ?? {})) sum[table] = (sum[table] ?? 0) + count;
          return sum;
        }, {});
    // The pass logs once its deletes have committed, which may be just after the rows are seen gone.
    await waitFor(() => Object.keys(removed()).length === 3, 5_000, 'the sweep logged');
    expect(removed()).toEqual({ oauth_server_records: 2, user_sessions: 2, setup_links: 1 });
    expect(lines.some((line) => line.includes('removing expired records failed'))).toBe(false);
  });
});
