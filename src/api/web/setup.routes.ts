import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { Application } from '../../infrastructure/application';
import { DomainError } from '../../domain/shared';
import { setSessionCookie } from '../security/session-auth';
import { field, html, sameOrigin } from './forms';
import { setupDonePage, setupForm, setupLinkInvalidPage } from './setup-page';

/** The audit trail's name for the owner's registration through the link. */
export const SETUP_ACTOR = 'setup-link';

/**
 * `GET /setup?token=…` and `POST /setup`: the printed first-start link. While nobody has an
 * account, a person holding an open link picks a name and a password and becomes the owner
 * (signed in at once); from then on every link is dead and /setup says so (410). The token is a
 * form field, never logged (the request log has paths only), and spent by the registration.
 */
export const setupRoutes = (app: Application): Router => {
  const router = new Router();
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });
  const hasUsers = async (): Promise<boolean> => (await app.queries.users.count()) > 0;

  router.get('/setup', async (ctx) => {
    if (await hasUsers()) return html(ctx, 410, setupDonePage());
    const token = ctx.query.token;
    if (!(await app.setupLinks.isOpen(token))) return html(ctx, 404, setupLinkInvalidPage());
    html(ctx, 200, setupForm({ token: token as string }));
  });

  router.post('/setup', sameOrigin(app.config.publicUrl), form, async (ctx: Context) => {
    if (await hasUsers()) return html(ctx, 410, setupDonePage());
    const token = field(ctx, 'token');
    if (!(await app.setupLinks.isOpen(token))) return html(ctx, 404, setupLinkInvalidPage());
    const name = field(ctx, 'name').slice(0, 256);
    const password = field(ctx, 'password');
    const again = (error: string): void => html(ctx, 400, setupForm({ token, name, error }));
    if (password !== field(ctx, 'password_confirm')) return again('The two passwords differ');
    let userId: string;
    try {
      ({ userId } = await app.commands.users.registerFirstOwner({ name, password }, { actor: SETUP_ACTOR, correlationId: ctx.state.correlationId as string }));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'SETUP_ALREADY_DONE') return html(ctx, 410, setupDonePage());
      if (error instanceof DomainError) return again(error.message);
      throw error;
    }
    await app.setupLinks.closeAll();
    const session = await app.sessions.open(userId);
    setSessionCookie(ctx, session.token, app.config.publicUrl);
    ctx.status = 303;
    ctx.redirect('/login');
  });

  return router;
};
