import Router from '@koa/router';
import '@koa/bodyparser';
import type { Application } from '../../../infrastructure/application';
import { OAUTH_CALLBACK_PATH, type OAuthService } from '../../../infrastructure/oauth';
import { AuthorizeOAuthDto, AuthorizeOwnOAuthDto } from '../dto/oauth.dto';
import { commandContext, queryString, sendResource } from '../http';
import { notFound } from '../problem';
import { validateBody } from '../validation';
import { assertCanUse, requireUser } from '../viewer';

/** OAuth to upstreams under /api: the admin's side, and each user's own grant of a per-user server. Tokens are never in a response. */
export const oauthRoutes = ({ queries }: Application, oauth: OAuthService): Router => {
  const router = new Router({ prefix: '/api/servers' });

  const requireServer = async (idOrName: string) => {
    const row = await queries.servers.find(idOrName);
    if (!row) throw notFound(`Server "${idOrName}"`, 'SERVER_NOT_FOUND');
    return row;
  };

  /** Starts an authorization; the admin opens `authorizationUrl` in a browser. */
  router.post('/:idOrName/oauth/authorize', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    const dto = validateBody(AuthorizeOAuthDto, ctx.request.body ?? {});
    const started = await oauth.authorize(row.id, dto, commandContext(ctx));
    ctx.body = { serverId: row.id, ...started };
  });

  /**
   * A user's own authorization of a per-user server (member role): the grant the callback
   * stores is theirs, and only their connections use it. A server they may not use is "not found".
   */
  router.post('/:idOrName/credentials/oauth/authorize', async (ctx) => {
    const user = requireUser(ctx, 'an OAuth grant of one\'s own belongs to a person (sign in, or use a personal access token)');
    const row = await requireServer(ctx.params.idOrName);
    await assertCanUse(queries, ctx, 'server', row.id, notFound(`Server "${ctx.params.idOrName}"`, 'SERVER_NOT_FOUND'));
    const dto = validateBody(AuthorizeOwnOAuthDto, ctx.request.body ?? {});
    const started = await oauth.authorizeOwn(row.id, user.userId, dto, commandContext(ctx));
    ctx.body = { serverId: row.id, ...started };
  });

  router.get('/:idOrName/oauth', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    sendResource(ctx, await oauth.status(row.id));
  });

  /** Revokes at the authorization server where it offers RFC 7009, and forgets the tokens. */
  router.delete('/:idOrName/oauth', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    await oauth.revoke(row.id, commandContext(ctx));
    ctx.status = 204;
  });

  return router;
};

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/**
 * GET /oauth/callback, outside /api: the admin's browser lands here from the authorization
 * server, without the admin token. The one-time `state` is what authorizes the request.
 */
export const oauthCallbackRoutes = (oauth: OAuthService): Router => {
  const router = new Router();
  router.get(OAUTH_CALLBACK_PATH, async (ctx) => {
    const param = (name: string): string | undefined => queryString(ctx, name, 4096);
    const result = await oauth.complete({
      state: param('state'),
      code: param('code'),
      error: param('error'),
      errorDescription: param('error_description'),
      iss: param('iss'),
    });
    const body = { ...result, status: 'authorized' as const };
    if (ctx.accepts('json', 'html') === 'html') {
      ctx.type = 'text/html';
      const whose = result.userId === undefined ? '' : ' with your own access';
      ctx.body = `<!doctype html><meta charset="utf-8"><title>Gatehouse</title><p>Gatehouse is now authorized${whose} for server ${escapeHtml(result.serverId)}. You can close this window.</p>`;
      return;
    }
    ctx.body = body;
  });
  return router;
};
