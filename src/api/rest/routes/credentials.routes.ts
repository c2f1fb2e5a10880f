import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Application } from '../../../infrastructure/application';
import type { CommandContext } from '../../../infrastructure/commands/handle-command';
import { credentialsView } from '../../../infrastructure/readmodels/credentials';
import { SetUserCredentialsDto } from '../dto/server.dto';
import { commandContext, sendResource } from '../http';
import { validateBody } from '../validation';
import { requireUser } from '../viewer';

const NOT_A_USER = 'per-user credentials belong to a person (sign in, or use a personal access token)';

/** Revokes a user's own OAuth grant at its authorization server and forgets it (see infrastructure/oauth). */
export type RevokeOwnGrant = (serverId: string, userId: string, context: CommandContext) => Promise<unknown>;

/** When a refresh of a user's own grant last failed and why (runtime status, see OAuthTokenManager.refreshFailureOf); null: none since it last worked. */
export type OwnRefreshFailure = (serverId: string, userId: string) => Readonly<{ at: string; message: string }> | null;

/**
 * /api/servers/:idOrName/credentials: the caller's own credentials for a per-user server (a
 * bearer token, env values, their OAuth grant), acting as the signed-in user or their personal
 * access token. Nobody sees a value again, not even masked: GET says which are set. The grant is
 * made with POST /api/servers/:idOrName/credentials/oauth/authorize (see oauth.routes.ts).
 */
export const credentialRoutes = (
  router: Router,
  { queries, commands }: Application,
  visibleServerId: (ctx: Context, key: string) => Promise<string>,
  revokeOwnGrant?: RevokeOwnGrant,
  ownRefreshFailure?: OwnRefreshFailure,
): void => {
  // The stored credentials, and how the last refresh of the grant went in this process (kept
  // after a refused refresh dropped the grant, so that the user sees why it went).
  const view = async (serverId: string, userId: string) => ({
    ...credentialsView(serverId, await queries.userCredentials.find(serverId, userId)),
    lastRefreshError: ownRefreshFailure?.(serverId, userId) ?? null,
  });

  router.get('/:idOrName/credentials', async (ctx) => {
    const user = requireUser(ctx, NOT_A_USER);
    const serverId = await visibleServerId(ctx, ctx.params.idOrName);
    sendResource(ctx, await view(serverId, user.userId));
  });

  router.put('/:idOrName/credentials', async (ctx) => {
    const user = requireUser(ctx, NOT_A_USER);
    const serverId = await visibleServerId(ctx, ctx.params.idOrName);
    const dto = validateBody(SetUserCredentialsDto, ctx.request.body);
    await commands.userCredentials.set(serverId, user.userId, dto, commandContext(ctx));
    sendResource(ctx, await view(serverId, user.userId));
  });

  router.delete('/:idOrName/credentials', async (ctx) => {
    const user = requireUser(ctx, NOT_A_USER);
    const serverId = await visibleServerId(ctx, ctx.params.idOrName);
    // The grant is revoked at its authorization server first (best effort), then everything goes.
    await revokeOwnGrant?.(serverId, user.userId, commandContext(ctx));
    await commands.userCredentials.remove(serverId, user.userId, commandContext(ctx));
    ctx.status = 204;
  });
};
