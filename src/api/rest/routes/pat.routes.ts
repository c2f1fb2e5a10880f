import Router from '@koa/router';
import '@koa/bodyparser';
import type { Context } from 'koa';
import type { Application } from '../../../infrastructure/application';
import { patView } from '../../../infrastructure/readmodels/pat';
import { CreatePersonalAccessTokenDto } from '../dto/pat.dto';
import { commandContext, sendResource } from '../http';
import { notFound, ProblemError } from '../problem';
import { validateBody } from '../validation';
import { requireUser, type UserPrincipal } from '../viewer';

const NOT_A_USER = 'personal access tokens belong to people (sign in, or use `gatehouse users token create`)';

/**
 * /api/me/tokens: a person's own personal access tokens, each acting as that person with their
 * role. Only a password-proven sign-in (the session cookie) issues one: a leaked token cannot
 * mint more. Listing and revoking work with a token too.
 */
export const personalAccessTokenRoutes = ({ queries, commands }: Application): Router => {
  const router = new Router({ prefix: '/api/me/tokens' });

  const requireToken = async (ctx: Context, user: UserPrincipal, id: string) => {
    const row = await queries.personalAccessTokens.find(id);
    if (row === null || row.userId !== user.userId) throw notFound(`Personal access token "${id}"`, 'TOKEN_NOT_FOUND');
    return row;
  };

  /** The only response that ever contains the token itself. */
  router.post('/', async (ctx) => {
    const user = requireUser(ctx, NOT_A_USER);
    if (user.via === 'token') throw new ProblemError(403, 'SIGN_IN_REQUIRED', 'Personal access tokens are issued to a signed-in person (POST /api/session), not to another token');
    const dto = validateBody(CreatePersonalAccessTokenDto, ctx.request.body);
    const { tokenId, token } = await commands.personalAccessTokens.issue({ userId: user.userId, name: dto.name, expiresAt: dto.expiresAt }, commandContext(ctx));
    ctx.set('Location', `/api/me/tokens/${tokenId}`);
    sendResource(ctx, { ...patView(await requireToken(ctx, user, tokenId)), token }, 201);
  });

  router.get('/', async (ctx) => {
    const user = requireUser(ctx, NOT_A_USER);
    ctx.body = { tokens: (await queries.personalAccessTokens.ownedBy(user.userId)).map((row) => patView(row)) };
  });

  router.get('/:id', async (ctx) => {
    sendResource(ctx, patView(await requireToken(ctx, requireUser(ctx, NOT_A_USER), ctx.params.id)));
  });

  router.delete('/:id', async (ctx) => {
    const user = requireUser(ctx, NOT_A_USER);
    await requireToken(ctx, user, ctx.params.id);
    await commands.personalAccessTokens.revoke(user.userId, ctx.params.id, commandContext(ctx));
    ctx.status = 204;
  });

  return router;
};

/**
 * /api/users/:idOrName/tokens: the owner's view of another person's personal access tokens
 * (names, prefixes, expiry and last use, never the tokens) and their revocation, for a lost
 * laptop or a person who left. Owner only, like the rest of /api/users (the role table).
 */
export const userTokenRoutes = ({ queries, commands }: Application): Router => {
  const router = new Router({ prefix: '/api/users/:idOrName/tokens' });

  const userOf = async (ctx: Context) => {
    const row = await queries.users.byIdOrName(String(ctx.params.idOrName));
    if (row === null) throw notFound(`User "${String(ctx.params.idOrName)}"`, 'USER_NOT_FOUND');
    return row;
  };

  router.get('/', async (ctx) => {
    const user = await userOf(ctx);
    ctx.body = { tokens: (await queries.personalAccessTokens.ownedBy(user.id)).map((row) => patView(row)) };
  });

  router.delete('/:id', async (ctx) => {
    const user = await userOf(ctx);
    const row = await queries.personalAccessTokens.find(ctx.params.id);
    if (row === null || row.userId !== user.id) throw notFound(`Personal access token "${ctx.params.id}" of user "${user.name}"`, 'TOKEN_NOT_FOUND');
    await commands.personalAccessTokens.revoke(user.id, row.id, commandContext(ctx));
    ctx.status = 204;
  });

  return router;
};
