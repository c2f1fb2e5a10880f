import Router from '@koa/router';
import '@koa/bodyparser';
import type { Application } from '../../../infrastructure/application';
import { SettingsPatchDto } from '../dto/settings.dto';
import { commandContext, sendResource } from '../http';
import { validateBody } from '../validation';

export const settingsRoutes = ({ queries, commands }: Application): Router => {
  const router = new Router({ prefix: '/api/settings' });

  router.get('/', async (ctx) => {
    const { settings, version } = await queries.settings();
    sendResource(ctx, { ...settings, version });
  });

  router.patch('/', async (ctx) => {
    const dto = validateBody(SettingsPatchDto, ctx.request.body);
    await commands.settings.change({ ...dto }, commandContext(ctx));
    const { settings, version } = await queries.settings();
    sendResource(ctx, { ...settings, version });
  });

  return router;
};
