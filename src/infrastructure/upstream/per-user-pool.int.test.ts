import { createHash } from 'node:crypto';
import { fixtureServer, httpSpec, startHttpServer, textOf, type RunningHttpServer } from '../../../test/fixtures/upstream-fixtures';
import { UpstreamPool, type UpstreamSpec } from '.';
import type { UpstreamTokenSource } from './authorized-fetch';

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * A token source as the contract has it: the admin's OAuth grant of the server for its shared
 * connections, a user's own grant (carol holds one) for a per-user spec that carries that user,
 * and nothing for other per-user specs.
 */
const grants: UpstreamTokenSource = {
  accessToken: async (server) => (server.credentials !== 'per_user' ? 'admin-oauth-access-token' : server.userId === 'carol' ? 'carol-oauth-access-token' : null),
  unauthorized: async () => null,
};

describe('a pool with per-user connections (credentials: per_user)', () => {
  let upstream: RunningHttpServer;
  const pool = new UpstreamPool({ connection: { tokens: grants } });
  let base: UpstreamSpec;
  const forUser = (token: string): UpstreamSpec => ({ ...base, bearerToken: token, credentials: 'per_user' });
  const whoami = async (spec: UpstreamSpec, userId?: string | null, sessionId = 'session-1'): Promise<string> =>
    (JSON.parse(textOf(await pool.get(spec, sessionId, userId).callTool({ name: 'whoami', arguments: {} }))) as { tokenSha256: string }).tokenSha256;

  beforeAll(async () => {
    upstream = await startHttpServer([fixtureServer('whoami-server.js')]);
    base = httpSpec(`${upstream.baseUrl}/mcp`, 'streamable_http', { bearerToken: 'the-servers-own-token' });
  });
  afterAll(async () => {
    await pool.closeAll();
    await upstream.stop();
  });

  it('sends the server\'s OAuth grant on its shared connection, and each user\'s own token on theirs', async () => {
    expect(await whoami(base)).toBe(sha256('admin-oauth-access-token'));
    expect(await whoami(forUser('ann-token'), 'ann')).toBe(sha256('ann-token'));
    expect(await whoami(forUser('bob-token'), 'bob', 'session-2')).toBe(sha256('bob-token'));
    expect(pool.get(forUser('ann-token'), 'another-session', 'ann')).toBe(pool.get(forUser('ann-token'), 'session-1', 'ann'));
    expect(pool.get(forUser('ann-token'), 'session-1', 'ann')).not.toBe(pool.get(forUser('bob-token'), 'session-1', 'bob'));
    // A user's own OAuth grant is asked for with the user the spec carries.
    expect(await whoami({ ...base, bearerToken: null, credentials: 'per_user', userId: 'carol' }, 'carol')).toBe(sha256('carol-oauth-access-token'));
    await pool.releaseUser('carol');
  });

  it('refuses a per-user spec without a user', () => {
    expect(() => pool.get(forUser('ann-token'), 'session-1', null)).toThrow(expect.objectContaining({ code: 'UPSTREAM_NO_CREDENTIALS' }));
  });

  it('keeps a server\'s spec away from user connections, and closes one user\'s without touching another\'s', async () => {
    // A server's own spec (here: its switch to per_user, which closes its shared connection) never reaches a user's connection.
    const annsBefore = pool.get(forUser('ann-token'), 'session-1', 'ann');
    await pool.reconfigure({ ...base, credentials: 'per_user' });
    expect(await whoami(forUser('ann-token'), 'ann')).toBe(sha256('ann-token'));
    expect(pool.get(forUser('ann-token'), 'session-1', 'ann')).toBe(annsBefore);
    const bobs = pool.get(forUser('bob-token'), 'session-2', 'bob');
    await pool.releaseUser('ann');
    expect(pool.get(forUser('bob-token'), 'session-2', 'bob')).toBe(bobs);
    expect(pool.get(forUser('ann-token'), 'session-1', 'ann')).not.toBe(annsBefore);
    expect(pool.health(base.id)).toHaveLength(2);
    // The switch back to shared credentials closes every user connection (they hold users' tokens).
    await pool.reconfigure({ ...base, credentials: 'shared' });
    expect(pool.health(base.id)).toHaveLength(0);
  });
});
