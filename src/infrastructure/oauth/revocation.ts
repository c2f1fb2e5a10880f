import { oauthStreamId } from '../../domain/oauth';
import type { CommandContext } from '../commands/handle-command';
import { ConcurrencyError } from '../eventstore';
import { loadGrant, recordRevocation, type GrantRef } from './grants';
import { credentialsOf, loadOAuthState, type OAuthContext } from './oauth.commands';
import { revokeToken } from './token-endpoint';
import type { OAuthLog, OAuthTokenManager } from './token-manager';
import { errorMessage } from '../../domain/shared';

/**
 * Revokes a grant's tokens at the authorization server (RFC 7009) when it offers that, then
 * forgets them either way: an admin who disconnects a server (or a user who removes their own
 * grant) must not be kept connected by an authorization server that is down. The client
 * registration is kept for the next authorization. `ref` is the server's grant or one user's.
 */
export const revokeAuthorization = async (
  ctx: OAuthContext,
  tokens: OAuthTokenManager,
  ref: GrantRef,
  context: CommandContext,
  log?: OAuthLog,
): Promise<{ revoked: boolean; revokedAtServer: boolean }> => {
  if (ref.userId === null) {
    const { version } = await loadOAuthState(ctx, ref.serverId);
    // An If-Match that no longer holds is answered before anything is revoked at the server.
    if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
      throw new ConcurrencyError(oauthStreamId(ref.serverId), context.expectedVersion, version);
    }
  }
  const grant = await loadGrant(ctx, ref);
  if (grant === null) return { revoked: false, revokedAtServer: false };
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
        ...ref,
        error: errorMessage(error),
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
  await recordRevocation(ctx, ref, { reason: 'revoked', detail, clientRejected: false, ofAccessToken: null }, context);
  tokens.reset(ref.serverId, ref.userId);
  return { revoked: true, revokedAtServer };
};
