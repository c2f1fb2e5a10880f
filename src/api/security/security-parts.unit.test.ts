import { ConfigError, loadConfig } from '../../infrastructure/config/config';
import { parseCorsOrigins } from '../../infrastructure/config/cors-origins';
import { isLoopbackHost } from './exposure-warning';
import { isUsable } from '../../infrastructure/readmodels/apikey';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'gatehouse.example', '128.0.0.1'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('isUsable (an API key at a moment)', () => {
  const now = '2030-01-01T00:00:00.000Z';
  it.each([
    [{ id: 'k', profiles: ['*'], status: 'active' as const, expiresAt: null, ownerId: null }, true],
    [{ id: 'k', profiles: ['*'], status: 'active' as const, expiresAt: '2030-01-01T00:00:00.001Z', ownerId: null }, true],
    [{ id: 'k', profiles: ['*'], status: 'active' as const, expiresAt: now, ownerId: null }, false],
    [{ id: 'k', profiles: ['*'], status: 'revoked' as const, expiresAt: null, ownerId: null }, false],
    [{ id: 'k', profiles: ['*'], status: 'suspended' as const, expiresAt: null, ownerId: 'usr-1' }, false],
    [undefined, false],
  ])('%j → %s', (key, usable) => {
    expect(isUsable(key, now)).toBe(usable);
  });
});

describe('parseCorsOrigins', () => {
  it('reads exact origins', () => {
    expect(parseCorsOrigins(' https://app.example , http://localhost:5173/ ')).toEqual(['https://app.example', 'http://localhost:5173']);
    expect(parseCorsOrigins(undefined)).toEqual([]);
    expect(parseCorsOrigins('')).toEqual([]);
  });
  it.each(['*', 'https://app.example/path', 'file:///x', 'app.example'])('refuses %s', (origin) => {
    expect(() => parseCorsOrigins(origin)).toThrow(/GATEHOUSE_CORS_ORIGINS/);
  });
});

describe('security settings from the environment', () => {
  const load = (env: Record<string, string>) => loadConfig({ GATEHOUSE_DATA_DIR: '/tmp/gatehouse-config-test', ...env });

  it('defaults to no CORS and 20 failed authentications a minute', () => {
    expect(load({})).toMatchObject({ host: '127.0.0.1', corsOrigins: [], authFailuresPerMinute: 20 });
  });

  it('reads GATEHOUSE_CORS_ORIGINS and GATEHOUSE_AUTH_FAILURES_PER_MINUTE', () => {
    expect(load({ GATEHOUSE_CORS_ORIGINS: 'https://a.example,https://b.example', GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '100' })).toMatchObject({
      corsOrigins: ['https://a.example', 'https://b.example'],
      authFailuresPerMinute: 100,
    });
  });

  it.each([
    [{ GATEHOUSE_CORS_ORIGINS: '*' }],
    [{ GATEHOUSE_AUTH_FAILURES_PER_MINUTE: '0' }],
    [{ GATEHOUSE_AUTH_FAILURES_PER_MINUTE: 'many' }],
  ])('refuses %j as a configuration error', (env) => {
    expect(() => load(env)).toThrow(ConfigError);
  });
});
