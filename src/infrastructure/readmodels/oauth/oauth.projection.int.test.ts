import type { OAuthCommand, OAuthTokenSet } from '../../../domain/oauth';
import { openTestApplication } from '../../../../test/support/application';
import { StoredRows } from '../../../../test/support/sqlite';
import { makeTempDir } from '../../../../test/support/temp-dir';
import type { Application } from '../../application';
import type { InlineProjection } from '../../eventstore';
import { runOAuthCommand, sealToken, type OAuthContext } from '../../oauth/oauth.commands';
import { oauthProjection } from './oauth.projection';
import { storageOf } from '../../application-storage';

const dump = (stored: StoredRows) => ({
  registrations: stored.all('SELECT * FROM oauth_client_registrations ORDER BY server_id'),
  tokens: stored.all('SELECT * FROM oauth_tokens ORDER BY server_id'),
});

/** The OAuth read models through the command path, then rebuilt from the log. */
describe('oauth projection', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let app: Application;
  let stored: StoredRows;
  let ctx: OAuthContext;
  const issuer = 'http://127.0.0.1:4000';
  const server = { issuer, tokenEndpoint: `${issuer}/token`, revocationEndpoint: null };

  const tokens = (n: number): OAuthTokenSet => ({
    accessToken: sealToken(ctx, `access-token-${n}`),
    refreshToken: sealToken(ctx, `refresh-token-${n}`),
    expiresAt: `2026-01-01T0${n}:00:00.000Z`,
    scopes: ['mcp:tools'],
  });
  const run = (serverId: string, command: OAuthCommand) => runOAuthCommand(ctx, serverId, command, { actor: 'admin', correlationId: 'c' });
  const register = (serverId: string, clientId: string) =>
    run(serverId, {
      type: 'RegisterOAuthClient',
      data: {
        serverId,
        client: {
          issuer, clientId, clientSecret: ctx.secrets.seal('client-secret-0123'), clientSecretExpiresAt: null, method: 'dynamic',
          redirectUri: 'http://127.0.0.1:7300/oauth/callback', tokenEndpointAuthMethod: 'client_secret_basic',
        },
      },
    });
  const grant = (serverId: string, clientId: string, set: OAuthTokenSet) =>
    run(serverId, { type: 'GrantOAuthTokens', data: { serverId, clientId, server, resource: 'http://127.0.0.1:5000/mcp', tokens: set } });

  beforeAll(async () => {
    dir = makeTempDir();
    app = await openTestApplication(dir.path);
    stored = new StoredRows(`${dir.path}/gatehouse.db`);
    ctx = { store: storageOf(app).store, secrets: app.secrets, reads: storageOf(app).database.reads };
    // s1: granted, refreshed, refused on refresh (client rejected), registered and granted again.
    await register('s1', 'c1');
    const first = tokens(1);
    await grant('s1', 'c1', first);
    await run('s1', { type: 'RefreshOAuthTokens', data: { serverId: 's1', refreshedFrom: first.accessToken.fp, tokens: tokens(2) } });
    await run('s1', { type: 'RevokeOAuthTokens', data: { serverId: 's1', reason: 'refresh_failed', detail: 'invalid_client', clientRejected: true, ofAccessToken: null } });
    await register('s1', 'c2');
    await grant('s1', 'c2', tokens(3));
    // s2: granted, then revoked by an admin; s3: registered, refused later.
    await register('s2', 'c3');
    await grant('s2', 'c3', tokens(4));
    await run('s2', { type: 'RevokeOAuthTokens', data: { serverId: 's2', reason: 'revoked', detail: null, clientRejected: false, ofAccessToken: null } });
    await register('s3', 'c4');
    await grant('s3', 'c4', tokens(5));
    await run('s3', { type: 'RevokeOAuthTokens', data: { serverId: 's3', reason: 'refresh_failed', detail: 'invalid_client', clientRejected: true, ofAccessToken: null } });
  });

  afterAll(async () => {
    stored.close();
    await app.close();
    dir.cleanup();
  });

  it('keeps one row per server, sealed, and clears revoked tokens', () => {
    const { registrations, tokens: rows } = dump(stored) as { registrations: Record<string, unknown>[]; tokens: Record<string, unknown>[] };
    expect(registrations).toMatchObject([
      { server_id: 's1', client_id: 'c2', stale: 0 },
      { server_id: 's2', client_id: 'c3', stale: 0 },
      { server_id: 's3', client_id: 'c4', stale: 1 },
    ]);
    expect(rows).toMatchObject([
      { server_id: 's1', client_id: 'c2', status: 'active', refreshed_at: null, expires_at: '2026-01-01T03:00:00.000Z' },
      { server_id: 's2', status: 'revoked', access_token: null, refresh_token: null },
      { server_id: 's3', status: 'refresh_failed', status_detail: 'invalid_client', access_token: null },
    ]);
    expect(JSON.stringify(dump(stored))).not.toMatch(/access-token-|refresh-token-|client-secret-/);
  });

  it('rebuilds to the same rows, also when every event is applied twice', async () => {
    const incremental = dump(stored);
    await storageOf(app).store.rebuild([oauthProjection]);
    expect(dump(stored)).toEqual(incremental);
    const twice: InlineProjection = {
      ...oauthProjection,
      apply: async (event, manager) => {
        await oauthProjection.apply(event, manager);
        await oauthProjection.apply(event, manager);
      },
    };
    await storageOf(app).store.rebuild([twice]);
    expect(dump(stored)).toEqual(incremental);
  });
});
