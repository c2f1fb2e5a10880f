import type { CommandContext } from '../commands/handle-command';
import { ServerReadModel } from '../readmodels/server';
import { upstreamUrlRefusal } from '../upstream/host-allowlist';
import { completeAuthorization, confirmOwnAuthorization, registerPreregisteredClient, startAuthorization, type AuthorizeInput, type CallbackInput, type FlowDeps } from './authorization-flow';
import type { OAuthContext } from './oauth.commands';
import { OAuthAvailability } from './oauth-availability';
import { oauthStatus, type OAuthStatusView } from './oauth-status';
import { PendingAuthorizations } from './pending-authorizations';
import { revokeAuthorization } from './revocation';
import { OAuthTokenManager, type OAuthLog } from './token-manager';
import type { Observable } from 'rxjs';

export type { AuthorizeInput, CallbackInput } from './authorization-flow';
export type { OAuthStatus, OAuthStatusView } from './oauth-status';
export { OAuthTokenManager } from './token-manager';
export type { OAuthLog } from './token-manager';
export type { OAuthContext } from './oauth.commands';

export const OAUTH_CALLBACK_PATH = '/oauth/callback';
/** Where a user confirms their own authorization of a per-user server (a form on the callback's page posts here). */
export const OAUTH_CONFIRM_PATH = '/oauth/callback/confirm';

export type OAuthServiceOptions = Readonly<{
  context: OAuthContext;
  /** GATEHOUSE_PUBLIC_URL (or the bound address), read when a flow starts. */
  publicUrl: () => string;
  log?: OAuthLog;
  /** settings.upstreamAllowedHosts (empty: any host): a server's page asks no other host whether it does OAuth. */
  allowedHosts?: () => readonly string[];
  /** Every committed event, other processes' included (the log follower's), for the token source's reads. */
  changes$?: Observable<unknown>;
}>;

/**
 * Gatehouse as the OAuth client of its upstreams: what the REST routes call, and the token
 * source the upstream connections ask (`tokens`).
 */
export class OAuthService {
  readonly tokens: OAuthTokenManager;
  readonly pending = new PendingAuthorizations();
  private readonly availability = new OAuthAvailability();
  private readonly deps: FlowDeps;

  constructor(private readonly options: OAuthServiceOptions) {
    this.tokens = new OAuthTokenManager(options.context, { log: options.log, changes$: options.changes$ });
    this.deps = {
      ctx: options.context,
      pending: this.pending,
      tokens: this.tokens,
      redirectUri: () => `${options.publicUrl().replace(/\/+$/, '')}${OAUTH_CALLBACK_PATH}`,
    };
  }

  authorize(serverId: string, input: AuthorizeInput, context: CommandContext) {
    return startAuthorization(this.deps, serverId, input, context);
  }

  complete(input: CallbackInput) {
    return completeAuthorization(this.deps, input);
  }

  /** Finishes a user's own authorization in the browser of the user signed in (see confirmOwnAuthorization). */
  confirmOwn(confirm: string | undefined, signedInUserId: string | null) {
    return confirmOwnAuthorization(this.deps, confirm, signedInUserId);
  }

  revoke(serverId: string, context: CommandContext) {
    return revokeAuthorization(this.options.context, this.tokens, { serverId, userId: null }, context, this.options.log);
  }

  /** Records a client registered by hand at the server's authorization server (any HTTP server, per-user ones included). */
  registerClient(serverId: string, input: Readonly<{ clientId: string; clientSecret?: string | null }>, context: CommandContext) {
    return registerPreregisteredClient(this.deps, serverId, input, context);
  }

  /** Starts `userId`'s authorization of their own access to a per-user server. */
  authorizeOwn(serverId: string, userId: string, input: Pick<AuthorizeInput, 'scopes'>, context: CommandContext) {
    return startAuthorization(this.deps, serverId, input, context, userId);
  }

  /** Revokes `userId`'s own grant for a per-user server at the authorization server, and forgets it. */
  revokeOwn(serverId: string, userId: string, context: CommandContext) {
    return revokeAuthorization(this.options.context, this.tokens, { serverId, userId }, context, this.options.log);
  }

  status(serverId: string): Promise<OAuthStatusView> {
    return oauthStatus({ reads: this.options.context.reads, log: this.options.context.store }, this, serverId);
  }

  /**
   * The brief for GET /api/servers/:id; null for a stdio server, which OAuth does not concern.
   * `available`: whether an authorization can be started, that is, the upstream is known to do
   * OAuth: a client is registered for it, it has (or had) a grant, it answered a 401 that asks
   * for one, or it publishes protected resource metadata naming an authorization server.
   */
  async summary(serverId: string): Promise<(Pick<OAuthStatusView, 'status' | 'reason' | 'expiresAt'> & { available: boolean }) | null> {
    const row = await new ServerReadModel(this.options.context.reads).byId(serverId);
    if (row === null || row.transport === 'stdio' || row.url === null) return null;
    const view = await this.status(serverId);
    const known = view.client !== null || view.grantedAt !== null || view.status !== 'not_authorized';
    const available = known || (this.mayAsk(row.url) && (await this.availability.soon(row.url)));
    return { status: view.status, reason: view.reason, expiresAt: view.expiresAt, available };
  }

  /** Whether the upstream's host may be asked at all: the allowlist the connections keep holds for this question too. */
  private mayAsk(serverUrl: string): boolean {
    return upstreamUrlRefusal(serverUrl, this.options.allowedHosts?.() ?? []) === null;
  }
}
