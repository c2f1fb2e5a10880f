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
