import type { GatehouseContext } from '../commands/context';
import type { CommandContext } from '../commands/handle-command';
import { completeAuthorization, startAuthorization, type AuthorizeInput, type CallbackInput, type FlowDeps } from './authorization-flow';
import { oauthStatus, type OAuthStatusView } from './oauth-status';
import { PendingAuthorizations } from './pending-authorizations';
import { revokeAuthorization } from './revocation';
import { OAuthTokenManager, type OAuthLog } from './token-manager';

export type { AuthorizeInput, CallbackInput } from './authorization-flow';
export type { OAuthStatus, OAuthStatusView } from './oauth-status';
export { OAuthTokenManager } from './token-manager';
export type { OAuthLog } from './token-manager';

export const OAUTH_CALLBACK_PATH = '/oauth/callback';

export type OAuthServiceOptions = Readonly<{
  context: GatehouseContext;
  /** GATEHOUSE_PUBLIC_URL (or the bound address), read when a flow starts. */
  publicUrl: () => string;
  log?: OAuthLog;
}>;

/**
 * Gatehouse as the OAuth client of its upstreams: what the REST routes call, and the token
 * source the upstream connections ask (`tokens`).
 */
export class OAuthService {
  readonly tokens: OAuthTokenManager;
  readonly pending = new PendingAuthorizations();
  private readonly deps: FlowDeps;

  constructor(private readonly options: OAuthServiceOptions) {
    this.tokens = new OAuthTokenManager(options.context, { log: options.log });
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

  revoke(serverId: string, context: CommandContext) {
    return revokeAuthorization(this.options.context, this.tokens, serverId, context, this.options.log);
  }

  status(serverId: string): OAuthStatusView {
    return oauthStatus(this.options.context.sql, this, serverId);
  }

  /** The brief for GET /api/servers/:id; null for a stdio server, which OAuth does not concern. */
  summary(serverId: string): Pick<OAuthStatusView, 'status' | 'reason' | 'expiresAt'> | null {
    const row = this.options.context.sql.get<{ transport: string }>('SELECT transport FROM servers WHERE id = ?', serverId);
    if (row === undefined || row.transport === 'stdio') return null;
    const { status, reason, expiresAt } = this.status(serverId);
    return { status, reason, expiresAt };
  }
}
