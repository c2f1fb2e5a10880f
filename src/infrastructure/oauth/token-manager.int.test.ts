import { Subject } from 'rxjs';
import type { DataSource } from 'typeorm';
import { openTestApplication } from '../../../test/support/application';
import { eventually } from '../../../test/support/oauth-fixtures';
import { startMetadataServer, type MetadataServer } from '../../../test/support/metadata-server';
import { makeTempDir } from '../../../test/support/temp-dir';
import { ENTITIES, type Application } from '../application';
import { storageOf } from '../application-storage';
import { createSqliteDataSource } from '../persistence/data-source';
import { runOAuthCommand, sealToken, type OAuthContext } from './oauth.commands';
import { OAuthTokenManager } from './token-manager';

const context = { actor: 'test', correlationId: 'c-1' };

/** The background refresh outlives a database that cannot be read when a grant falls due. */
describe('OAuthTokenManager background refresh', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let app: Application;
  let reader: DataSource;
  let authServer: MetadataServer;

  beforeEach(async () => {
    dir = makeTempDir();
    app = await openTestApplication(dir.path);
    // The manager reads through a reader connection of its own, made as the application makes its own, that the test can lose.
    reader = await createSqliteDataSource(app.config.database, ENTITIES, 'reader').initialize();
    authServer = await startMetadataServer(() => ({ '/token': { access_token: 'refreshed-access-token', token_type: 'Bearer', expires_in: 3600 } }));
  });

  afterEach(async () => {
    if (reader.isInitialized) await reader.destroy();
    await authServer.close();
    await app.close();
    dir.cleanup();
  });

  // Guards: a failed in-use check (store unreadable) is logged and tried again later, not the end of the grant's refresh.
  it('logs a warning when the store cannot be read at refresh time, and refreshes once it can', async () => {
    const ctx: OAuthContext = { store: storageOf(app).store, secrets: app.secrets, reads: reader.manager };
    const { serverId } = await app.commands.servers.register({ name: 'remote', transport: 'streamable_http', url: 'https://upstream.example.com/mcp' }, context);
    const client = {
      issuer: authServer.baseUrl, clientId: 'client-1', clientSecret: app.secrets.seal('client-secret-0123'), clientSecretExpiresAt: null, method: 'dynamic' as const,
      redirectUri: 'http://127.0.0.1:7300/oauth/callback', tokenEndpointAuthMethod: 'client_secret_post' as const,
    };
    await runOAuthCommand(ctx, serverId, { type: 'RegisterOAuthClient', data: { serverId, client } }, context);
    // Due for refresh in about six seconds (a third of its life left): far enough for a slow setup to finish first.
    const tokens = { accessToken: sealToken(ctx, 'first-access-token'), refreshToken: sealToken(ctx, 'refresh-token'), expiresAt: new Date(Date.now() + 9_000).toISOString(), scopes: ['mcp:tools'] };
    const server = { issuer: authServer.baseUrl, tokenEndpoint: `${authServer.baseUrl}/token`, revocationEndpoint: null };
    await runOAuthCommand(ctx, serverId, { type: 'GrantOAuthTokens', data: { serverId, clientId: 'client-1', server, resource: null, tokens } }, context);

    const logged: { level: string; message: string }[] = [];
    const manager = new OAuthTokenManager(ctx, { log: (level, message) => void logged.push({ level, message }), backgroundRetryMs: 100 });
    const stop = await manager.startBackgroundRefresh();
    try {
      await new Promise((resolve) => setTimeout(resolve, 500)); // the grant's timer is set (its reads take milliseconds)
      await reader.destroy(); // the store cannot be read when the timer fires
      await eventually(async () => logged, (lines) => lines.length > 0);
      // "postponed" from the in-use check; "could not be set" should the timer fire a millisecond early and look again.
      expect(logged[0]).toEqual({ level: 'warn', message: expect.stringMatching(/^oauth background refresh (postponed|could not be set)/) });
      expect(authServer.requests).toEqual([]);
      await reader.initialize();
      await eventually(async () => logged, (lines) => lines.some((line) => line.message === 'oauth tokens refreshed'));
      expect(authServer.requests).toEqual(['/token']);
      expect(await manager.accessToken({ id: serverId, name: 'remote', url: 'https://upstream.example.com/mcp', credentials: 'shared' })).toBe('refreshed-access-token');
    } finally {
      stop();
    }
  });
});

/** Two applications on one data directory stand for two instances: one grants, the other's token source must see it. */
describe('OAuthTokenManager rows kept for a moment', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let here: Application;
  let there: Application;

  beforeEach(async () => {
    dir = makeTempDir();
    here = await openTestApplication(dir.path);
    there = await openTestApplication(dir.path);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await there.close();
    await here.close();
    dir.cleanup();
  });

  it.each([
    ['reads a grant made by another instance once an event of it comes on changes$', true, 'granted-there'],
    ['keeps the row it read while no event comes (the reuse it bounds by time)', false, null],
  ])('%s', async (_label, told, expected) => {
    const changes$ = new Subject<unknown>();
    const ctx = (app: Application): OAuthContext => ({ store: storageOf(app).store, secrets: app.secrets, reads: storageOf(app).database.reads });
    const { serverId } = await here.commands.servers.register({ name: 'remote', transport: 'streamable_http', url: 'https://upstream.example.com/mcp' }, context);
    const server = { id: serverId, name: 'remote', url: 'https://upstream.example.com/mcp', credentials: 'shared' as const };
    const manager = new OAuthTokenManager(ctx(here), { changes$ });
    // The clock stands still: the row is reused for as long as nothing says it changed.
    jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-12-08T00:00:00.000Z'));
    expect(await manager.accessToken(server)).toBeNull();

    const client = {
      issuer: 'http://127.0.0.1:9', clientId: 'client-1', clientSecret: null, clientSecretExpiresAt: null, method: 'dynamic' as const,
      redirectUri: 'http://127.0.0.1:7300/oauth/callback', tokenEndpointAuthMethod: 'none' as const,
    };
    const theirs = ctx(there);
    const granted: unknown[] = [];
    storageOf(there).store.committed$.subscribe((event) => granted.push(event));
    await runOAuthCommand(theirs, serverId, { type: 'RegisterOAuthClient', data: { serverId, client } }, context);
    const tokens = { accessToken: sealToken(theirs, 'granted-there'), refreshToken: null, expiresAt: '2026-12-09T00:00:00.000Z', scopes: ['mcp:tools'] };
    await runOAuthCommand(theirs, serverId, { type: 'GrantOAuthTokens', data: { serverId, clientId: 'client-1', server: { issuer: 'http://127.0.0.1:9', tokenEndpoint: 'http://127.0.0.1:9/token', revocationEndpoint: null }, resource: null, tokens } }, context);
    expect(granted.length).toBeGreaterThan(0);
    if (told) for (const event of granted) changes$.next(event);

    expect(await manager.accessToken(server)).toBe(expected);
  });
});
