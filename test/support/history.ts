import type { ApprovedTool } from '../../src/domain/server/events';
import type { Application } from '../../src/infrastructure/application';
import type { CommandContext } from '../../src/infrastructure/commands/handle-command';
import { grantUserTokens, recordRefresh, recordRevocation } from '../../src/infrastructure/oauth/grants';
import { sealToken } from '../../src/infrastructure/oauth/oauth.commands';
import { recordDiscoveredTools, tool } from './discovery';
import { appendGenerated, identityLog } from './identity-log';
import { storageOf } from '../../src/infrastructure/application-storage';

/** A fixed clock, so that timestamps differ from event to event and do not depend on the machine. */
export const clock = (start = Date.parse('2026-01-01T00:00:00Z')) => {
  let now = start;
  return () => new Date((now += 1_000));
};

/**
 * A realistic history through the command services: servers registered, renamed, reconfigured
 * (secrets too), their tools discovered, profiles with links and tool settings, a deleted
 * profile brought back, a removed server detached from every profile and restored, keys issued
 * and revoked, settings changed, tool settings back at their defaults, a server attached again,
 * users' own credentials and OAuth grants of a per-user server; then a generated log of every
 * event type of users, access, personal tokens, credentials and OAuth, appended as it is.
 */
export const runHistory = async (app: Application, now: () => Date): Promise<void> => {
  const as = (correlationId: string, extra: Partial<CommandContext> = {}): CommandContext => ({ actor: 'admin', correlationId, now, ...extra });
  const head = async () => app.store.headPosition();
  const { servers, profiles, apiKeys, settings } = app.commands;

  const files = (await servers.register({ name: 'files', transport: 'stdio', command: 'node', args: ['files.js'], env: { TOKEN: 'files-token-0001', LOG_LEVEL: 'debug' } }, as('c1'))).result.state;
  const web = (await servers.register({ name: 'web', transport: 'streamable_http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Key': 'web-key-00000002' }, bearerToken: 'web-bearer-0003' }, as('c2'))).result.state;
  const scratch = (await servers.register({ name: 'scratch', transport: 'sse', url: 'http://127.0.0.1:9/sse' }, as('c3'))).result.state;
  const ids = [files, web, scratch].map((state) => (state.status === 'active' ? state.serverId : ''));
  const [filesId, webId, scratchId] = ids;
  await recordDiscoveredTools(app, filesId, [tool('read'), tool('write'), tool('list')]);
  await recordDiscoveredTools(app, webId, [tool('fetch'), tool('search')]);
  await recordDiscoveredTools(app, scratchId, [tool('x')]);
  await recordDiscoveredTools(app, filesId, [tool('read'), tool('write'), tool('list'), tool('stat')]);
  await servers.reconfigure(webId, { name: 'web2', description: 'The web', bearerToken: 'web-bearer-rotated-4' }, as('c4'));
  const serversBefore = await head();

  const dev = (await profiles.create({ slug: 'dev', name: 'Dev', description: 'Developers' }, as('c5'))).result.state;
  const ops = (await profiles.create({ slug: 'ops', toolPrefix: 'on_conflict', auth: { queryParam: true } }, as('c6'))).result.state;
  const [devId, opsId] = [dev, ops].map((state) => (state.status === 'active' ? state.profileId : ''));
  for (const serverId of [filesId, webId, scratchId]) await profiles.attach(devId, serverId, 'active', as('c7'));
  await profiles.attach(opsId, webId, 'inactive', as('c8'));
  await profiles.attach(opsId, scratchId, 'active', as('c9'));
  await profiles.attach(opsId, webId, 'active', as('c10'));
  await profiles.setTool(devId, filesId, 'write', { status: 'inactive' }, as('c11'));
  await profiles.setTool(devId, filesId, 'read', { name: 'cat', title: 'Cat', description: 'Reads a file', annotations: { readOnlyHint: true } }, as('c12'));
  await profiles.setTool(devId, webId, 'fetch', { description: 'Fetches' }, as('c13'));
  await profiles.setTool(devId, webId, 'not-yet', { status: 'inactive' }, as('c14'));
  await profiles.setTool(opsId, scratchId, 'x', { name: 'ex' }, as('c15'));
  const devConfigured = await head();
  await profiles.setTool(devId, filesId, 'read', { title: null, annotations: null }, as('c16'));
  await profiles.setTool(devId, webId, 'fetch', { description: null }, as('c17'));
  await profiles.update(devId, { name: 'Development', description: null, debugLogging: true, auth: { apiKey: false } }, as('c18'));
  await profiles.detach(devId, scratchId, as('c19'));

  await profiles.delete(devId, as('c20'));
  const secondDev = (await profiles.create({ slug: 'dev', name: 'Second dev' }, as('c21'))).result.state;
  await profiles.update(opsId, { slug: 'operations' }, as('c22'));
  await profiles.delete(secondDev.status === 'active' ? secondDev.profileId : '', as('c23'));
  await profiles.revert(devId, devConfigured, as('c24'));

  await servers.remove(scratchId, as('c25'));
  await servers.revert(scratchId, serversBefore, as('c26'));
  await profiles.attach(devId, scratchId, 'inactive', as('c27'));
  await servers.revert(webId, serversBefore - 1, as('c28'));

  const ci = await apiKeys.issue({ name: 'ci', profiles: ['dev', 'operations'] }, as('c29'));
  await apiKeys.issue({ name: 'all', profiles: ['*'], expiresAt: '2099-01-01T00:00:00Z' }, as('c30'));
  await apiKeys.revoke(ci.keyId, as('c31'));

  await settings.change({ requestTimeoutMs: 5_000, upstreamAllowedHosts: ['example.com'] }, as('c32'));
  await settings.change({ requestTimeoutMs: 6_000, logRetentionDays: 2 }, as('c33'));
  await profiles.revert(opsId, 0, as('c34'));

  // `web2` becomes per-user: two users set their own credentials, one of them changes and then removes theirs.
  await servers.reconfigure(webId, { credentials: 'per_user' }, as('c35'));
  const { userCredentials } = app.commands;
  await userCredentials.set(webId, 'user-ann', { bearerToken: 'ann-credential-0005' }, as('c36'));
  await userCredentials.set(webId, 'user-bob', { env: { TOKEN: 'bob-credential-0006' } }, as('c37'));
  await userCredentials.set(webId, 'user-bob', { bearerToken: 'bob-credential-0007' }, as('c38'));
  await userCredentials.remove(webId, 'user-bob', as('c39'));

  // Tools back at their defaults, which leaves them no row (one active again, one whose only override is cleared), a
  // server detached and attached again, which puts its link after the others.
  await profiles.setTool(devId, filesId, 'write', { status: 'active' }, as('c40'));
  await profiles.setTool(devId, webId, 'fetch', { description: null }, as('c41'));
  await profiles.detach(devId, filesId, as('c42'));
  await profiles.attach(devId, filesId, 'active', as('c43'));

  // ann also authorizes the upstream as herself (an OAuth grant of her own, then refreshed); cat's
  // grant, her only credential, is refused on refresh and goes.
  const ctx = { store: storageOf(app).store, secrets: app.secrets, reads: storageOf(app).database.reads };
  const client = {
    issuer: 'http://127.0.0.1:9', clientId: 'gatehouse', clientSecret: null, clientSecretExpiresAt: null,
    method: 'dynamic' as const, redirectUri: 'http://127.0.0.1:7300/oauth/callback', tokenEndpointAuthMethod: 'none' as const,
  };
  const endpoints = { issuer: 'http://127.0.0.1:9', tokenEndpoint: 'http://127.0.0.1:9/token', revocationEndpoint: null };
  const tokens = (access: string, refresh: string) => ({
    accessToken: sealToken(ctx, access), refreshToken: sealToken(ctx, refresh), expiresAt: now().toISOString(), scopes: ['mcp:tools'],
  });
  const grant = (userId: string, set: ReturnType<typeof tokens>, correlationId: string) =>
    grantUserTokens(ctx, { serverId: webId, userId, client, server: endpoints, resource: 'http://127.0.0.1:9/mcp', ...set }, as(correlationId));
  const annTokens = tokens('ann-access-0008', 'ann-refresh-0009');
  await grant('user-ann', annTokens, 'c44');
  await recordRefresh(ctx, { serverId: webId, userId: 'user-ann' }, annTokens.accessToken.fp, tokens('ann-access-0010', 'ann-refresh-0011'), as('c45'));
  const catTokens = tokens('cat-access-0012', 'cat-refresh-0013');
  await grant('user-cat', catTokens, 'c46');
  const refused = { reason: 'refresh_failed' as const, detail: 'invalid_grant', clientRejected: false, ofAccessToken: catTokens.accessToken.fp };
  await recordRevocation(ctx, { serverId: webId, userId: 'user-cat' }, refused, as('c47'));

  // A tool given only an override: its row is active.
  await profiles.setTool(devId, webId, 'search', { title: 'Search the web' }, as('c48'));

  // Tool definitions approved one at a time (each merged into the approvals before it), then the approvals replaced as a whole.
  await servers.approveTools(filesId, ['read'], as('c49'));
  await servers.approveTools(filesId, ['write'], as('c50'));
  const [readApproval] = (await app.store.readAll({ types: ['ToolDefinitionApproved'] })).map((event) => (event.data as { tools: ApprovedTool[] }).tools[0]);
  await servers.restoreToolApprovals(webId, [readApproval], as('c51'));

  await appendGenerated(app.store, identityLog(GENERATED_EVENTS, (plaintext) => app.secrets.seal(plaintext)), now);
};

/** How many events of the generated log runHistory appends. */
export const GENERATED_EVENTS = 400;

/** The plaintext of every secret runHistory seals: none may be found in the log or a read model. */
export const HISTORY_SECRETS = [
  'files-token-0001', 'web-key-00000002', 'web-bearer-rotated-4', 'ann-credential-0005', 'bob-credential-0006', 'bob-credential-0007',
  'ann-access-0008', 'ann-refresh-0009', 'ann-access-0010', 'ann-refresh-0011', 'cat-access-0012', 'cat-refresh-0013',
];
