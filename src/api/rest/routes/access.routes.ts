import type Router from '@koa/router';
import type { ResourceKind } from '../../../domain/access';
import type { Application } from '../../../infrastructure/application';
import { AccessDto } from '../dto/access.dto';
import { commandContext, sendResource } from '../http';
import { validateBody } from '../validation';

/**
 * GET/PUT `<prefix>/:key/access` on a router of profiles or servers (admins: the role table):
 * owner and visibility, users shown by id and name.
 */
export const accessRoutes = (router: Router, { queries, commands }: Application, kind: ResourceKind, resolve: (key: string) => Promise<string>): void => {
  const view = async (resourceId: string) => {
    const access = await queries.access.of(kind, resourceId);
    const person = async (id: string) => ({ id, name: (await queries.users.byId(id))?.name ?? null });
    return {
      owner: access.ownerId === null ? null : await person(access.ownerId),
      visibility: access.visibility,
      sharedWithUsers: await Promise.all(access.sharedWithUsers.map(person)),
      sharedWithRoles: access.sharedWithRoles,
      version: access.version,
    };
  };

  router.get('/:key/access', async (ctx) => {
    sendResource(ctx, await view(await resolve(ctx.params.key)));
  });

  router.put('/:key/access', async (ctx) => {
    const resourceId = await resolve(ctx.params.key);
    const dto = validateBody(AccessDto, ctx.request.body);
    await commands.access.set(kind, resourceId, dto, commandContext(ctx));
    sendResource(ctx, await view(resourceId));
  });
};
