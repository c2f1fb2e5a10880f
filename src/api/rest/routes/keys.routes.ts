import Router from '@koa/router';
import '@koa/bodyparser';
import type { GatehouseContext } from '../../../infrastructure/commands/context';
import { issueApiKey, revokeApiKey } from '../../../infrastructure/commands/apikey.commands';
import { apiKeyRowToView, findApiKeyRow, listApiKeyRows } from '../../../infrastructure/queries/apikey.queries';
import { CreateKeyDto } from '../dto/key.dto';
import { commandContext, sendResource } from '../http';
import { notFound } from '../problem';
import { validateBody } from '../validation';

export const keyRoutes = (app: GatehouseContext): Router => {
  const router = new Router({ prefix: '/api/keys' });

  const requireKey = async (id: string) => {
    const row = await findApiKeyRow(app.dataSource, id);
    if (!row) throw notFound(`API key "${id}"`, 'APIKEY_NOT_FOUND');
    return row;
  };

  /** The only response that ever contains the key itself. */
  router.post('/', async (ctx) => {
    const dto = validateBody(CreateKeyDto, ctx.request.body);
    const { keyId, key } = await issueApiKey(app, dto, commandContext(ctx));
    const view = await apiKeyRowToView(app.dataSource, await requireKey(keyId));
    ctx.set('Location', `/api/keys/${keyId}`);
    sendResource(ctx, { ...view, key }, 201);
  });

  router.get('/', async (ctx) => {
    const rows = await listApiKeyRows(app.dataSource);
    ctx.body = { keys: await Promise.all(rows.map((row) => apiKeyRowToView(app.dataSource, row))) };
  });

  router.get('/:id', async (ctx) => {
    sendResource(ctx, await apiKeyRowToView(app.dataSource, await requireKey(ctx.params.id)));
  });

  router.delete('/:id', async (ctx) => {
    await requireKey(ctx.params.id);
    await revokeApiKey(app, ctx.params.id, commandContext(ctx));
    ctx.status = 204;
  });

  return router;
};
