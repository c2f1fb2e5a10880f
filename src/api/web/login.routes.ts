import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Application } from '../../infrastructure/application';
import { tokensMatch } from '../../infrastructure/config/admin-token';
import { ProblemError } from '../rest/problem';
import { clientAddress } from '../security/auth-failures';
import type { LoginLockout } from '../security/login-lockout';
import { clearSessionCookie, safeReturnPath, setSessionCookie, signedInPerson } from '../security/session-auth';
import { signIn } from '../security/sign-in';
import { field, html, sameOrigin } from './forms';
import { signedInPage, signInForm } from './login-page';

const DEFAULT_RETURN = '/login';

/**
 * `GET /login` (the form, or who is signed in), `POST /login` (a form post: sign in, then 303 to
 * `return_to`, a path on this origin), `POST /logout`. Other pages of Gatehouse (an OAuth consent
 * page) send a person here with `signInUrl(returnTo)` and read them back with `signedInPerson`.
 */
export const loginRoutes = (app: Application, lockout: LoginLockout): Router => {
  const router = new Router();
  const publicUrl = app.config.publicUrl;
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

  router.get('/login', async (ctx) => {
    const returnTo = safeReturnPath(ctx.query.return_to) ?? DEFAULT_RETURN;
    const person = await signedInPerson(app, ctx);
    if (person !== null && returnTo !== DEFAULT_RETURN) return ctx.redirect(returnTo);
    if (person !== null) return html(ctx, 200, signedInPage({ name: person.principal.name, role: person.principal.role, csrfToken: person.csrfToken }));
    html(ctx, 200, signInForm({ returnTo }));
  });

  router.post('/login', sameOrigin(publicUrl), form, async (ctx) => {
    const returnTo = safeReturnPath(field(ctx, 'return_to')) ?? DEFAULT_RETURN;
    const name = field(ctx, 'name').slice(0, 256);
    try {
      const signedIn = await signIn(app, lockout, name, field(ctx, 'password'), clientAddress(ctx.req.socket));
      setSessionCookie(ctx, signedIn.token, publicUrl);
      ctx.status = 303;
      ctx.redirect(returnTo);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      if (error.headers) ctx.set(error.headers);
      html(ctx, error.status, signInForm({ returnTo, name, error: error.message }));
    }
  });

  router.post('/logout', sameOrigin(publicUrl), form, async (ctx) => {
    const person = await signedInPerson(app, ctx);
    if (person !== null) {
      if (!tokensMatch(field(ctx, 'csrf_token'), person.csrfToken)) throw new ProblemError(403, 'CSRF_TOKEN_INVALID', 'The sign-out form is stale: reload the page');
      await app.sessions.close(person.sessionToken);
    }
    clearSessionCookie(ctx, publicUrl);
    ctx.status = 303;
    ctx.redirect(DEFAULT_RETURN);
  });

  return router;
};
