import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { DomainError } from '../../../domain/shared';
import type { Application } from '../../../infrastructure/application';
import { OAUTH_CALLBACK_PATH, OAUTH_CONFIRM_PATH, type OAuthService } from '../../../infrastructure/oauth';
import { AuthorizeOAuthDto, AuthorizeOwnOAuthDto, RegisterOAuthClientDto } from '../dto/oauth.dto';
import { commandContext, queryString, sendResource } from '../http';
import { notFound, ProblemError } from '../problem';
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

  /**
   * Records a client registered by hand at the server's authorization server, for the
   * authorizations to come: an admin's, or a per-user server's users' own (whose route takes no client).
   */
  router.put('/:idOrName/oauth/client', async (ctx) => {
    const row = await requireServer(ctx.params.idOrName);
    const dto = validateBody(RegisterOAuthClientDto, ctx.request.body);
    const registered = await oauth.registerClient(row.id, dto, commandContext(ctx));
    ctx.body = { serverId: row.id, ...registered };
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

const page = (body: string): string => `<!doctype html><meta charset="utf-8"><title>Gatehouse</title>${body}`;

/** How long the page that says it worked stays before the browser goes back to the console by itself. */
const BACK_TO_CONSOLE_SECONDS = 2;

/**
 * Says it worked and takes the person back to the server's page in the console, where they
 * started (by itself after a moment, or at once with the link).
 */
const authorizedPage = (result: Readonly<{ serverId: string; userId?: string }>): string => {
  const back = `/servers/${escapeHtml(encodeURIComponent(result.serverId))}`;
  return page(`<meta http-equiv="refresh" content="${BACK_TO_CONSOLE_SECONDS};url=${back}">
<p>Gatehouse is now authorized${result.userId === undefined ? '' : ' with your own access'} for server ${escapeHtml(result.serverId)}.</p>
<p><a href="${back}">Back to the server in the console</a> (in ${BACK_TO_CONSOLE_SECONDS} seconds by itself)</p>`);
};

/** Confirms a user's own grant: the form posts from this origin, so the session cookie (SameSite=Strict) goes with it. */
const confirmPage = (confirm: string): string =>
  page(`<p>Sign in to Gatehouse as the user who started this authorization (in this browser), then confirm to keep it as yours.</p>
<form method="post" action="${OAUTH_CONFIRM_PATH}"><input type="hidden" name="confirm" value="${escapeHtml(confirm)}"><button type="submit">Confirm</button></form>`);

/**
 * A refused confirmation, for a browser: not signed in (401), the form again with a link to sign
 * in (in a new tab, as a POST cannot be replayed by the sign-in's return) and confirm again;
 * another user signed in (403), the flow is dropped.
 */
const refusedConfirmPage = (code: 'OAUTH_SIGN_IN_REQUIRED' | 'OAUTH_WRONG_USER', confirm: string): string =>
  code === 'OAUTH_SIGN_IN_REQUIRED'
    ? page(`<p>You are not signed in to Gatehouse in this browser. <a href="/login" target="_blank" rel="noopener">Sign in</a> as the user who started this authorization (a personal access token cannot confirm it), then confirm it here.</p>
<form method="post" action="${OAUTH_CONFIRM_PATH}"><input type="hidden" name="confirm" value="${escapeHtml(confirm)}"><button type="submit">Confirm</button></form>`)
    : page(`<p>This authorization was started by another user than the one signed in to Gatehouse in this browser, so it is dropped. <a href="/login">Sign in</a> as yourself and start your own authorization.</p>`);

type ConfirmForm = { confirm?: unknown };

/**
 * GET /oauth/callback, outside /api: the browser lands here from the authorization server,
 * without the admin token. The one-time `state` is what authorizes the request. A user's own
 * grant of a per-user server is kept only once that user confirms it, signed in to Gatehouse in
 * the same browser (POST /oauth/callback/confirm): the confirmation token is known only to the
 * browser that came back, and the session says who it is.
 */
export const oauthCallbackRoutes = (oauth: OAuthService, signedInUserId: (ctx: Context) => Promise<string | null>): Router => {
  const router = new Router();
  const html = (ctx: Context): boolean => ctx.accepts('json', 'html') === 'html';
  router.get(OAUTH_CALLBACK_PATH, async (ctx) => {
    const param = (name: string): string | undefined => queryString(ctx, name, 4096);
    const result = await oauth.complete({
      state: param('state'),
      code: param('code'),
      error: param('error'),
      errorDescription: param('error_description'),
      iss: param('iss'),
    });
    if (html(ctx)) {
      ctx.type = 'text/html';
      ctx.body = result.status === 'authorized' ? authorizedPage(result) : confirmPage(result.confirm);
      return;
    }
    ctx.body = result;
  });
  router.post(
    OAUTH_CONFIRM_PATH,
    bodyParser({ enableTypes: ['form', 'json'], formLimit: '8kb', jsonLimit: '8kb', onError: () => {
      throw new ProblemError(400, 'INVALID_FORM', 'The form could not be read');
    } }),
    async (ctx) => {
      const { confirm } = (ctx.request.body ?? {}) as ConfirmForm;
      const token = typeof confirm === 'string' ? confirm : undefined;
      let result;
      try {
        result = await oauth.confirmOwn(token, await signedInUserId(ctx));
      } catch (error) {
        const code = error instanceof DomainError ? error.code : null;
        if (!html(ctx) || token === undefined || (code !== 'OAUTH_SIGN_IN_REQUIRED' && code !== 'OAUTH_WRONG_USER')) throw error;
        ctx.status = code === 'OAUTH_SIGN_IN_REQUIRED' ? 401 : 403;
        ctx.type = 'text/html';
        ctx.body = refusedConfirmPage(code, token);
        return;
      }
      if (html(ctx)) {
        ctx.type = 'text/html';
        ctx.body = authorizedPage(result);
        return;
      }
      ctx.body = result;
    },
  );
  return router;
};
