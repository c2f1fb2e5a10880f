import Router from '@koa/router';
import '@koa/bodyparser';
import type { GatehouseContext } from '../../../infrastructure/commands/context';
import { changeSettings, currentSettings } from '../../../infrastructure/commands/settings.commands';
import { SettingsPatchDto } from '../dto/settings.dto';
import { commandContext, sendResource } from '../http';
import { validateBody } from '../validation';

export const settingsRoutes = (app: GatehouseContext): Router => {
  const router = new Router({ prefix: '/api/settings' });

  router.get('/', async (ctx) => {
    const { settings, version } = await currentSettings(app);
    sendResource(ctx, { ...settings, version });
  });

  router.patch('/', async (ctx) => {
    const dto = validateBody(SettingsPatchDto, ctx.request.body);
    await changeSettings(app, { ...dto }, commandContext(ctx));
    const { settings, version } = await currentSettings(app);
    sendResource(ctx, { ...settings, version });
  });

  return router;
};
