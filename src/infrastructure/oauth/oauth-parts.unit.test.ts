import { parseChallenge } from './challenge';
import { PendingAuthorizations, type PendingAuthorization } from './pending-authorizations';
import { preferredAuthMethod } from './registration';

const at = new Date('2026-01-01T00:00:00Z');

describe('parseChallenge', () => {
  it('reads resource_metadata, scope and error of a Bearer challenge', () => {
    const header = 'Bearer realm="mcp", error="invalid_token", resource_metadata="http://127.0.0.1:5000/.well-known/oauth-protected-resource/mcp", scope="a b"';
    expect(parseChallenge(header, at)).toEqual({
      at: at.toISOString(),
      resourceMetadataUrl: 'http://127.0.0.1:5000/.well-known/oauth-protected-resource/mcp',
      scope: 'a b',
      error: 'invalid_token',
    });
  });

  it.each([
    ['no header', null],
    ['another scheme', 'Basic realm="x", resource_metadata="http://a/"'],
    ['a resource_metadata that is no http URL', 'Bearer resource_metadata="javascript:alert(1)"'],
  ])('takes nothing from %s', (_, header) => {
    expect(parseChallenge(header, at)).toMatchObject({ resourceMetadataUrl: null });
  });
});

describe('PendingAuthorizations', () => {
  const pending = (serverId = 's1'): PendingAuthorization => ({
    serverId, codeVerifier: 'v', redirectUri: 'http://127.0.0.1/cb', clientId: 'c', issuer: 'http://as', tokenEndpoint: 'http://as/token',
    revocationEndpoint: null, resource: 'http://rs/mcp', scopes: [], userId: null, actor: 'admin', correlationId: 'x',
  });

  it('hands out a state once', () => {
    const store = new PendingAuthorizations();
    const { state } = store.add(pending());
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.isPending('s1')).toBe(true);
    expect(store.take(state)).toMatchObject({ serverId: 's1' });
    expect(store.take(state)).toBeNull();
    expect(store.isPending('s1')).toBe(false);
  });

  it('forgets a state after its time to live', () => {
    let now = 0;
    const store = new PendingAuthorizations(1_000, () => now);
    const { state } = store.add(pending());
    now = 1_000;
    expect(store.take(state)).toBeNull();
  });

  it('stays bounded, dropping the oldest', () => {
    const store = new PendingAuthorizations();
    const first = store.add(pending('first')).state;
    for (let i = 0; i < 300; i += 1) store.add(pending(`s${i}`));
    expect(store.take(first)).toBeNull();
  });

  const own = (serverId: string, userId: string): PendingAuthorization => ({ ...pending(serverId), userId, actor: `user:${userId}` });

  it('keeps one flow of a user\'s own per server: a new one replaces the older, others\' stay', () => {
    const store = new PendingAuthorizations();
    const older = store.add(own('s1', 'mallory')).state;
    const anns = store.add(own('s1', 'ann')).state;
    const newer = store.add(own('s1', 'mallory')).state;
    expect(store.take(older)).toBeNull();
    expect(store.take(newer)).toMatchObject({ userId: 'mallory' });
    expect(store.take(anns)).toMatchObject({ userId: 'ann' });
  });

  it('replaces a user\'s flow awaiting confirmation when they start another for the same server', () => {
    const store = new PendingAuthorizations();
    const first = store.take(store.add(own('s1', 'ann')).state)!;
    const { confirm } = store.awaitConfirmation(first, 'code');
    store.add(own('s1', 'ann'));
    expect(store.awaiting(confirm)).toBeNull();
  });

  it('lets no member push everyone else\'s flows out, however many servers they start flows for', () => {
    const store = new PendingAuthorizations();
    const anns = store.add(own('s1', 'ann')).state;
    const admins = store.add(pending('s1')).state;
    for (let i = 0; i < 1_000; i += 1) store.add(own(`s${i}`, 'mallory'));
    const anns2 = store.take(store.add(own('s2', 'ann')).state)!;
    const { confirm } = store.awaitConfirmation(anns2, 'code');
    for (let i = 0; i < 1_000; i += 1) store.awaitConfirmation(own(`s${i}`, 'mallory'), 'code');
    expect(store.take(anns)).toMatchObject({ userId: 'ann' });
    expect(store.take(admins)).toMatchObject({ userId: null });
    expect(store.awaiting(confirm)).not.toBeNull();
  });
});

describe('preferredAuthMethod', () => {
  it.each<[readonly string[], boolean, string]>([
    [['client_secret_basic', 'none'], true, 'client_secret_basic'],
    [['client_secret_post', 'none'], true, 'client_secret_post'],
    [['none'], true, 'none'],
    [['client_secret_basic'], false, 'none'],
  ])('picks for %j (secret: %s) %s', (supported, hasSecret, expected) => {
    expect(preferredAuthMethod(supported, hasSecret)).toBe(expected);
  });
});
