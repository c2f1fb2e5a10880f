import { oauthStreamId } from '../../domain/oauth';
import type { CommandContext } from '../commands/handle-command';
import { ConcurrencyError } from '../eventstore';
import { credentialsOf, loadOAuthState, runOAuthCommand, type OAuthContext } from './oauth.commands';
import { revokeToken } from './token-endpoint';
import type { OAuthLog, OAuthTokenManager } from './token-manager';

/**
 * Revokes the server's tokens at the authorization server (RFC 7009) when it offers that, then
 * forgets them either way: an admin who disconnects a server must not be kept connected by an
 * authorization server that is down. The client registration is kept for the next authorization.
 */
export const revokeAuthorization = async (
  ctx: OAuthContext,
  tokens: OAuthTokenManager,
  serverId: string,
  context: CommandContext,
  log?: OAuthLog,
): Promise<{ revoked: boolean; revokedAtServer: boolean }> => {
  const { state, version } = await loadOAuthState(ctx, serverId);
  // An If-Match that no longer holds is answered before anything is revoked at the server.
  if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
    throw new ConcurrencyError(oauthStreamId(serverId), context.expectedVersion, version);
  }
  if (state.status !== 'authorized') return { revoked: false, revokedAtServer: false };
  const { grant } = state;
  const endpoint = grant.server.revocationEndpoint;
  let revokedAtServer = false;
  if (endpoint !== null) {
    try {
      const client = credentialsOf(ctx, grant.client);
      // Revoking the refresh token ends the whole grant (RFC 7009 §2.1 asks servers to). The access
      // token is revoked too, but servers may refuse that for self-contained (JWT) tokens
      // (`unsupported_token_type`), so only the refresh token's answer decides when there is one.
      const refreshRevoked = grant.refreshToken === null ? null : await revokeToken(endpoint, client, ctx.secrets.open(grant.refreshToken), 'refresh_token');
      const accessRevoked = await revokeToken(endpoint, client, ctx.secrets.open(grant.accessToken), 'access_token');
      revokedAtServer = refreshRevoked ?? accessRevoked;
    } catch (error) {
      log?.('warn', 'oauth revocation at the authorization server failed; forgetting the tokens anyway', {
        serverId,
        error: error instanceof Error ? error.message : String(error),
        correlationId: context.correlationId,
      });
    }
  }
  const detail =
    endpoint === null
      ? 'forgotten; the authorization server offers no revocation endpoint'
      : revokedAtServer
        ? 'revoked at the authorization server'
        : 'forgotten; the authorization server did not confirm the revocation';
  await runOAuthCommand(
    ctx,
    serverId,
    { type: 'RevokeOAuthTokens', data: { serverId, reason: 'revoked', detail, clientRejected: false, ofAccessToken: null } },
    context,
  );
  tokens.reset(serverId);
  return { revoked: true, revokedAtServer };
};
