import Router from '@koa/router';
import '@koa/bodyparser';
import type { Application } from '../../../infrastructure/application';
import { CreateKeyDto } from '../dto/key.dto';
import { commandContext, sendResource } from '../http';
import { notFound } from '../problem';
import { validateBody } from '../validation';

export const keyRoutes = ({ queries, commands }: Application): Router => {
  const router = new Router({ prefix: '/api/keys' });

  const requireKey = async (id: string) => {
    const row = await queries.apiKeys.find(id);
    if (!row) throw notFound(`API key "${id}"`, 'APIKEY_NOT_FOUND');
    return row;
  };

  /** The only response that ever contains the key itself. */
  router.post('/', async (ctx) => {
    const dto = validateBody(CreateKeyDto, ctx.request.body);
    const { keyId, key } = await commands.apiKeys.issue(dto, commandContext(ctx));
    const view = await queries.apiKeys.view(await requireKey(keyId));
    ctx.set('Location', `/api/keys/${keyId}`);
    sendResource(ctx, { ...view, key }, 201);
  });

  router.get('/', async (ctx) => {
    const rows = await queries.apiKeys.list();
    ctx.body = { keys: await Promise.all(rows.map((row) => queries.apiKeys.view(row))) };
  });

  router.get('/:id', async (ctx) => {
    sendResource(ctx, await queries.apiKeys.view(await requireKey(ctx.params.id)));
  });

  router.delete('/:id', async (ctx) => {
    await requireKey(ctx.params.id);
    await commands.apiKeys.revoke(ctx.params.id, commandContext(ctx));
    ctx.status = 204;
  });

  return router;
};
