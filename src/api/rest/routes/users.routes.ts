import Router from '@koa/router';
import '@koa/bodyparser';
import type { Application } from '../../../infrastructure/application';
import { userView } from '../../../infrastructure/readmodels/user';
import { CreateUserDto, UpdateUserDto } from '../dto/user.dto';
import { commandContext, sendResource } from '../http';
import { badRequest, notFound, ProblemError } from '../problem';
import { validateBody } from '../validation';

/** /api/users: the owner manages people (the role table keeps everybody else out). */
export const userRoutes = ({ queries, commands, sessions }: Application): Router => {
  const router = new Router({ prefix: '/api/users' });

  const requireUser = async (key: string) => {
    const row = await queries.users.byIdOrName(key);
    if (row === null) throw notFound(`User "${key}"`, 'USER_NOT_FOUND');
    return row;
  };

  router.post('/', async (ctx) => {
    const dto = validateBody(CreateUserDto, ctx.request.body);
    const { userId } = await commands.users.register(dto, commandContext(ctx));
    ctx.set('Location', `/api/users/${userId}`);
    sendResource(ctx, userView(await requireUser(userId)), 201);
  });

  router.get('/', async (ctx) => {
    ctx.body = { users: (await queries.users.list()).map(userView) };
  });

  router.get('/:idOrName', async (ctx) => {
    sendResource(ctx, userView(await requireUser(ctx.params.idOrName)));
  });

  /** Each field is its own event; a password change or a disable also ends the user's sessions. */
  router.patch('/:idOrName', async (ctx) => {
    const dto = validateBody(UpdateUserDto, ctx.request.body);
    if (Object.keys(dto).length === 0) throw badRequest('Send at least one of name, role, status, password');
    const { id, version } = await requireUser(ctx.params.idOrName);
    const { expectedVersion, ...context } = commandContext(ctx);
    if (expectedVersion !== undefined && expectedVersion !== version) throw new ProblemError(412, 'VERSION_MISMATCH', `The user changed (now at version ${version}); read it again and retry`);
    // The changes that can be refused by a rule (the last owner) first, so a refusal changes nothing.
    if (dto.role !== undefined) await commands.users.changeRole(id, dto.role, context);
    if (dto.status === 'disabled') await commands.users.disable(id, context);
    if (dto.status === 'enabled') await commands.users.enable(id, context);
    if (dto.name !== undefined) await commands.users.rename(id, dto.name, context);
    if (dto.password !== undefined) await commands.users.changePassword(id, dto.password, context);
    if (dto.password !== undefined || dto.status === 'disabled') await sessions.closeAllOf(id);
    sendResource(ctx, userView(await requireUser(id)));
  });

  return router;
};
