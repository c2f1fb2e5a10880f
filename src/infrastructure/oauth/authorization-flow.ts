import { createHash, randomBytes } from 'node:crypto';
import * as oauth from '../../domain/oauth';
import { DomainError } from '../../domain/shared';
import type { CommandContext } from '../commands/handle-command';
import { discover, type Discovery } from './discovery';
import { sameIssuer, unsupported } from './http';
import { AccessReadModel } from '../readmodels/access';
import { ServerReadModel } from '../readmodels/server';
import { UserReadModel } from '../readmodels/user';
import { grantUserTokens } from './grants';
import { credentialsOf, loadOAuthState, runOAuthCommand, sealTokens, type OAuthContext } from './oauth.commands';
import type { PendingAuthorization, PendingAuthorizations } from './pending-authorizations';
import { preferredAuthMethod, registerClient } from './registration';
import { exchangeCode, OAuthErrorResponse } from './token-endpoint';
import type { OAuthTokenManager } from './token-manager';

export type AuthorizeInput = Readonly<{ clientId?: string; clientSecret?: string | null; scopes?: readonly string[] }>;
export type CallbackInput = Readonly<{ state?: string; code?: string; error?: string; errorDescription?: string; iss?: string }>;
export type FlowDeps = Readonly<{
  ctx: OAuthContext;
  pending: PendingAuthorizations;
  tokens: OAuthTokenManager;
  /** Where the browser comes back: `<GATEHOUSE_PUBLIC_URL>/oauth/callback`. */
  redirectUri: () => string;
}>;

/** RFC 7636 S256: the verifier stays here, only its hash goes to the authorization server. */
const pkcePair = (): { verifier: string; challenge: string } => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/**
 * The URL of the HTTP server to authorize. A per-user server's grants are each user's own
 * (`forUser`), a shared server's is the server's: each is refused on the other's route.
 */
const httpUrlOf = async (ctx: OAuthContext, serverId: string, forUser: boolean | 'either'): Promise<string> => {
  const row = await new ServerReadModel(ctx.reads).byId(serverId);
  if (row === null || row.status !== 'active') throw new DomainError('SERVER_NOT_FOUND', `Server ${serverId} does not exist`, { serverId });
  if (row.transport === 'stdio' || row.url === null) throw unsupported('OAuth applies to HTTP upstreams only; this server is a stdio process');
  const name = encodeURIComponent(row.name);
  if (row.credentials === 'per_user' && forUser === false) {
    throw unsupported(
      `server "${row.name}" takes each user's own credentials, so it has no grant of its own: each user authorizes their own access with POST /api/servers/${name}/credentials/oauth/authorize, or sets a bearer token with PUT /api/servers/${name}/credentials`,
    );
  }
  if (row.credentials !== 'per_user' && forUser === true) {
    throw new DomainError(
      'CREDENTIALS_NOT_PER_USER',
      `Server "${row.name}" uses its own shared credentials; an admin authorizes it with POST /api/servers/${name}/oauth/authorize`,
      { serverId },
    );
  }
  return row.url;
};

/**
 * The client to authorize with: the one given, a reusable registration, or a new dynamic one.
 * On a user's own flow (`forUser`) the server's registration is shared by all its users and is
 * an admin's to give: a user's flow may register dynamically only where there is no client yet
 * or the one there was itself registered dynamically and can no longer be used; it never
 * replaces a client an admin registered by hand (PUT /api/servers/:s/oauth/client).
 */
const clientFor = async (
  deps: FlowDeps,
  serverId: string,
  discovery: Discovery,
  input: AuthorizeInput,
  context: CommandContext,
  forUser = false,
): Promise<oauth.OAuthClient> => {
  const { ctx } = deps;
  const now = (context.now?.() ?? new Date()).toISOString();
  let client: oauth.OAuthClient | null = null;
  if (input.clientId !== undefined) {
    const secret = input.clientSecret ?? null;
    client = {
      issuer: discovery.issuer,
      clientId: input.clientId,
      clientSecret: secret === null ? null : ctx.secrets.seal(secret),
      clientSecretExpiresAt: null,
      method: 'preregistered',
      redirectUri: null,
      tokenEndpointAuthMethod: preferredAuthMethod(discovery.tokenEndpointAuthMethods, secret !== null),
    };
  } else {
    const { state } = await loadOAuthState(ctx, serverId);
    const reusable = oauth.reusableClient(state, { issuer: discovery.issuer, redirectUri: deps.redirectUri(), now });
    if (reusable !== null) return reusable;
    if (forUser && state.status !== 'unregistered' && state.client.method === 'preregistered') {
      throw unsupported(
        `the server's OAuth client was registered by hand by an admin and cannot be used now (${state.client.stale ? 'the authorization server refused it' : 'it is for another authorization server'}); ask an admin to give a new one with PUT /api/servers/:s/oauth/client`,
      );
    }
    const registered = await registerClient(discovery, deps.redirectUri());
    client = {
      issuer: discovery.issuer,
      clientId: registered.clientId,
      clientSecret: registered.clientSecret === null ? null : ctx.secrets.seal(registered.clientSecret),
      clientSecretExpiresAt: registered.clientSecretExpiresAt,
      method: 'dynamic',
      redirectUri: deps.redirectUri(),
      tokenEndpointAuthMethod: registered.tokenEndpointAuthMethod,
    };
  }
  await runOAuthCommand(ctx, serverId, { type: 'RegisterOAuthClient', data: { serverId, client } }, context);
  return client;
};

/**
 * Records a client an admin registered by hand at the server's authorization server (found by
 * discovery), for the authorizations to come: a per-user server's users all authorize with it,
 * which is how a per-user server reaches an authorization server without dynamic registration.
 */
export const registerPreregisteredClient = async (
  deps: FlowDeps,
  serverId: string,
  input: Readonly<{ clientId: string; clientSecret?: string | null }>,
  context: CommandContext,
) => {
  const serverUrl = await httpUrlOf(deps.ctx, serverId, 'either');
  const discovery = await discover(serverUrl, deps.tokens.challengeOf(serverId)?.resourceMetadataUrl ?? null);
  const client = await clientFor(deps, serverId, discovery, input, context);
  return { issuer: discovery.issuer, clientId: client.clientId, registration: client.method, tokenEndpointAuthMethod: client.tokenEndpointAuthMethod };
};

/** Scopes as the spec picks them: asked for, else the 401's `scope`, else the resource's list. */
const scopesFor = (input: AuthorizeInput, challengeScope: string | null, discovery: Discovery): string[] => {
  if (input.scopes !== undefined) return [...input.scopes];
  if (challengeScope !== null) return challengeScope.split(' ').filter((s) => s !== '' && oauth.isValidScope(s));
  return [...(discovery.scopesSupported ?? [])].filter(oauth.isValidScope);
};

/**
 * Starts the authorization code flow with PKCE for one upstream: discovery, the client
 * (pre-registered, reused or dynamically registered), and the URL for the admin to open.
 * The RFC 8707 `resource` is the protected resource's identifier from its metadata. With
 * `userId`, the grant will be that user's own, for a per-user server; the client is still the
 * server's registration (Gatehouse is one client of the authorization server, which each user
 * authorizes as themselves), so a user cannot give one of their own (`clientId` is ignored).
 */
export const startAuthorization = async (deps: FlowDeps, serverId: string, input: AuthorizeInput, context: CommandContext, userId: string | null = null) => {
  const serverUrl = await httpUrlOf(deps.ctx, serverId, userId !== null);
  const asked: AuthorizeInput = userId === null ? input : { scopes: input.scopes };
  const challenge = deps.tokens.challengeOf(serverId, userId);
  const discovery = await discover(serverUrl, challenge?.resourceMetadataUrl ?? null);
  const scopes = scopesFor(asked, challenge?.scope ?? null, discovery);
  const scope = scopes.length === 0 ? null : scopes.join(' ');
  const client = await clientFor(deps, serverId, discovery, asked, context, userId !== null);
  const pkce = pkcePair();
  const { state, expiresAt } = deps.pending.add({
    serverId,
    codeVerifier: pkce.verifier,
    redirectUri: deps.redirectUri(),
    clientId: client.clientId,
    issuer: discovery.issuer,
    tokenEndpoint: discovery.tokenEndpoint,
    revocationEndpoint: discovery.revocationEndpoint,
    resource: discovery.resource,
    scopes,
    userId,
    actor: context.actor,
    correlationId: context.correlationId,
  });
  const url = new URL(discovery.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', deps.redirectUri());
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', pkce.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('resource', discovery.resource);
  if (scope !== null) url.searchParams.set('scope', scope);
  return {
    authorizationUrl: url.href,
    expiresAt: new Date(expiresAt).toISOString(),
    issuer: discovery.issuer,
    clientId: client.clientId,
    registration: client.method,
    resource: discovery.resource,
    scopes,
  };
};

const denied = (message: string): DomainError => new DomainError('OAUTH_AUTHORIZATION_DENIED', message);

/** Exchanges the code of a checked callback and records the grant: the server's, or the user's own. */
const finishAuthorization = async (deps: FlowDeps, pending: PendingAuthorization, code: string, now: Date) => {
  const context: CommandContext = { actor: pending.actor, correlationId: pending.correlationId, now: () => now };
  const { state } = await loadOAuthState(deps.ctx, pending.serverId);
  if (state.status === 'unregistered' || state.client.clientId !== pending.clientId) {
    throw new DomainError('OAUTH_CLIENT_MISMATCH', 'The client registration changed during the authorization; start it again');
  }
  let response;
  try {
    response = await exchangeCode(pending.tokenEndpoint, credentialsOf(deps.ctx, state.client), {
      code,
      codeVerifier: pending.codeVerifier,
      redirectUri: pending.redirectUri,
      resource: pending.resource,
    });
  } catch (error) {
    if (error instanceof OAuthErrorResponse) throw denied(`The authorization server refused the code (${error.message})`);
    throw error;
  }
  const tokens = sealTokens(deps.ctx, response, now, { refreshToken: null, scopes: pending.scopes });
  const server = { issuer: pending.issuer, tokenEndpoint: pending.tokenEndpoint, revocationEndpoint: pending.revocationEndpoint };
  const { serverId, userId } = pending;
  if (userId !== null) {
    await grantUserTokens(deps.ctx, { serverId, userId, client: state.client, server, resource: pending.resource, ...tokens }, context);
  } else {
    await runOAuthCommand(deps.ctx, serverId, { type: 'GrantOAuthTokens', data: { serverId, clientId: pending.clientId, server, resource: pending.resource, tokens } }, context);
  }
  deps.tokens.reset(serverId, userId);
  return { status: 'authorized' as const, serverId, ...(userId === null ? {} : { userId }), expiresAt: tokens.expiresAt, scopes: tokens.scopes };
};

/**
 * Finishes a flow at the callback: checks state (and `iss`, RFC 9207), exchanges the code. A
 * user's own flow stops short of the exchange and waits for that user to confirm it (see
 * confirmOwnAuthorization): the state says who started the flow, not who consented at the
 * authorization server, and whoever opens someone's authorization URL must not hand them their
 * own upstream access.
 */
export const completeAuthorization = async (deps: FlowDeps, input: CallbackInput, now: Date = new Date()) => {
  const pending = input.state === undefined ? null : deps.pending.take(input.state);
  if (pending === null) {
    throw new DomainError('OAUTH_STATE_INVALID', 'Unknown or expired authorization state; start the authorization again');
  }
  if (input.error !== undefined) {
    throw denied(`The authorization server answered ${input.error}${input.errorDescription ? `: ${input.errorDescription}` : ''}`);
  }
  if (input.iss !== undefined && !sameIssuer(input.iss, pending.issuer)) {
    throw denied(`The response names issuer ${input.iss}, not ${pending.issuer}`);
  }
  if (input.code === undefined || input.code === '') throw denied('The callback carries no authorization code');
  if (pending.userId === null) return finishAuthorization(deps, pending, input.code, now);
  const { confirm, expiresAt } = deps.pending.awaitConfirmation(pending, input.code);
  return { status: 'confirmation_required' as const, serverId: pending.serverId, confirm, expiresAt: new Date(expiresAt).toISOString() };
};

/**
 * What the authorize route checked when the flow started, checked again before the code is
 * exchanged (the flow may have waited minutes for its confirmation): the user is still enabled,
 * the server still an active per-user HTTP server, and still one the user may use.
 */
const assertStillMayAuthorize = async (ctx: OAuthContext, serverId: string, userId: string): Promise<void> => {
  const user = await new UserReadModel(ctx.reads).byId(userId);
  if (user === null || user.status !== 'enabled') throw new DomainError('USER_DISABLED', 'Your account is disabled; the authorization is dropped');
  await httpUrlOf(ctx, serverId, true);
  if (!(await new AccessReadModel(ctx.reads).canUse({ kind: 'user', userId, role: user.role }, 'server', serverId))) {
    throw new DomainError('SERVER_NOT_FOUND', `Server ${serverId} does not exist`, { serverId });
  }
};

/**
 * Finishes a user's own flow once the browser that came back to the callback confirms it,
 * signed in to Gatehouse as the user who started it (`signedInUserId`). Not signed in: 401,
 * and it may still be confirmed after signing in; another user: 403, and it is dropped.
 */
export const confirmOwnAuthorization = async (deps: FlowDeps, confirm: string | undefined, signedInUserId: string | null, now: Date = new Date()) => {
  const awaiting = confirm === undefined ? null : deps.pending.awaiting(confirm);
  if (confirm === undefined || awaiting === null) {
    throw new DomainError('OAUTH_STATE_INVALID', 'Unknown or expired authorization; start the authorization again');
  }
  if (signedInUserId === null) {
    throw new DomainError('OAUTH_SIGN_IN_REQUIRED', 'Sign in to Gatehouse as the user who started this authorization, in this browser, then confirm it again: only a browser session confirms an authorization (not a personal access token or an API key), also for one started with a personal access token');
  }
  deps.pending.forget(confirm);
  if (awaiting.value.userId !== signedInUserId) {
    throw new DomainError('OAUTH_WRONG_USER', 'This authorization was started by another user; it is dropped. Start your own authorization');
  }
  await assertStillMayAuthorize(deps.ctx, awaiting.value.serverId, signedInUserId);
  return finishAuthorization(deps, awaiting.value, awaiting.code, now);
};
