import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import type { Application } from '../../infrastructure/application';
import { tokensMatch } from '../../infrastructure/config/admin-token';
import { ProblemError } from '../rest/problem';
import { clientAddress } from '../security/auth-failures';
import type { LoginLockout } from '../security/login-lockout';
import { clearSessionCookie, safeReturnPath, setSessionCookie, signedInPerson } from '../security/session-auth';
import { signIn } from '../security/sign-in';
import { signedInPage, signInForm } from './login-page';

/** The pages may post forms to this origin and nothing else; no script, no style from anywhere. */
const PAGE_CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const DEFAULT_RETURN = '/login';

const html = (ctx: Context, status: number, body: string): void => {
  ctx.status = status;
  ctx.set('Content-Security-Policy', PAGE_CSP);
  // Under `no-referrer` (every other response's policy) a browser posts these forms with `Origin: null`, which sameOrigin refuses.
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
};

/**
 * A form post must come from this origin: browsers send `Origin` on every POST, and a page of
 * another site posting our sign-in form (login CSRF) carries its own origin.
 */
const sameOrigin = (publicUrl: string) => async (ctx: Context, next: Next): Promise<void> => {
  const origin = ctx.get('origin');
  const allowed = new Set([new URL(publicUrl).origin, `${ctx.protocol}://${ctx.host}`]);
  if (origin !== '' && !allowed.has(origin)) throw new ProblemError(403, 'CROSS_ORIGIN_FORM', 'This form can only be sent from Gatehouse\'s own pages');
  await next();
};

const field = (ctx: Context, name: string): string => {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

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
