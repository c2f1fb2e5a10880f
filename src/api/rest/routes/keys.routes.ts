import Router from '@koa/router';
import '@koa/bodyparser';
import type { Context } from 'koa';
import type { Application } from '../../../infrastructure/application';
import { CreateKeyDto } from '../dto/key.dto';
import { commandContext, sendResource } from '../http';
import { notFound, ProblemError } from '../problem';
import { validateBody } from '../validation';
import { userIdOf, viewerOf } from '../viewer';

/**
 * API keys belong to whoever issued them (a signed-in user; the admin token's keys belong to
 * nobody). Admins and owners see and revoke every key; a member issues keys only for the profiles
 * it may use, and sees and revokes only its own.
 */
export const keyRoutes = ({ queries, commands }: Application): Router => {
  const router = new Router({ prefix: '/api/keys' });
  const isMember = (ctx: Context): boolean => {
    const viewer = viewerOf(ctx);
    return viewer.kind === 'user' && viewer.role === 'member';
  };

  const requireKey = async (ctx: Context, id: string) => {
    const row = await queries.apiKeys.find(id);
    if (!row || (isMember(ctx) && row.ownerId !== userIdOf(ctx))) throw notFound(`API key "${id}"`, 'APIKEY_NOT_FOUND');
    return row;
  };

  /** A member's key opens only profiles it may use; "*" would open the ones shared with it later too. */
  const assertScopeAllowed = async (ctx: Context, slugs: readonly string[]): Promise<void> => {
    if (!isMember(ctx)) return;
    if (slugs.includes('*')) throw new ProblemError(403, 'FORBIDDEN', 'A member\'s key names its profiles; "*" needs the admin role');
    const viewer = viewerOf(ctx);
    for (const slug of slugs) {
      const row = await queries.profiles.findBySlug(slug);
      if (row === null || !(await queries.access.canUse(viewer, 'profile', row.id))) {
        throw new ProblemError(404, 'PROFILE_NOT_FOUND', `No profile with slug "${slug}"`, [{ field: 'profiles', messages: [`no profile "${slug}"`] }]);
      }
    }
  };

  /** The only response that ever contains the key itself. */
  router.post('/', async (ctx) => {
    const dto = validateBody(CreateKeyDto, ctx.request.body);
    await assertScopeAllowed(ctx, dto.profiles);
    const { keyId, key } = await commands.apiKeys.issue({ ...dto, ownerId: userIdOf(ctx) }, commandContext(ctx));
    const view = await queries.apiKeys.view(await requireKey(ctx, keyId));
    ctx.set('Location', `/api/keys/${keyId}`);
    sendResource(ctx, { ...view, key }, 201);
  });

  router.get('/', async (ctx) => {
    const owner = userIdOf(ctx);
    const rows = isMember(ctx) && owner !== null ? await queries.apiKeys.ownedBy(owner) : await queries.apiKeys.list();
    ctx.body = { keys: await Promise.all(rows.map((row) => queries.apiKeys.view(row))) };
  });

  router.get('/:id', async (ctx) => {
    sendResource(ctx, await queries.apiKeys.view(await requireKey(ctx, ctx.params.id)));
  });

  router.delete('/:id', async (ctx) => {
    await requireKey(ctx, ctx.params.id);
    await commands.apiKeys.revoke(ctx.params.id, commandContext(ctx));
    ctx.status = 204;
  });

  return router;
};
