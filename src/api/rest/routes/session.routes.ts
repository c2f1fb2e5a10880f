import Router from '@koa/router';
import '@koa/bodyparser';
import type { Context } from 'koa';
import type { Application } from '../../../infrastructure/application';
import { checkPassword } from '../../../infrastructure/sessions';
import { userView } from '../../../infrastructure/readmodels/user';
import { clientAddress } from '../../security/auth-failures';
import type { LoginLockout } from '../../security/login-lockout';
import type { Principal } from '../../security/principal';
import { clearSessionCookie, sessionTokenOf, setSessionCookie } from '../../security/session-auth';
import { signIn } from '../../security/sign-in';
import { ChangeOwnPasswordDto, SignInDto } from '../dto/session.dto';
import { commandContext } from '../http';
import { ProblemError } from '../problem';
import { validateBody } from '../validation';

const principalOf = (ctx: Context): Principal => ctx.state.principal as Principal;

const requireUser = (ctx: Context): Extract<Principal, { kind: 'user' }> => {
  const principal = principalOf(ctx);
  if (principal.kind !== 'user') throw new ProblemError(409, 'NOT_A_USER', 'The admin token is no user: sign in as a person for this');
  return principal;
};

/** POST/DELETE /api/session (sign in and out), GET /api/me, PUT /api/me/password. */
export const sessionRoutes = (app: Application, lockout: LoginLockout): Router => {
  const router = new Router({ prefix: '/api' });
  const publicUrl = app.config.publicUrl;

  /** The only response that carries the session token (in the cookie) and the CSRF token together. */
  router.post('/session', async (ctx) => {
    const dto = validateBody(SignInDto, ctx.request.body);
    const signedIn = await signIn(app, lockout, dto.name, dto.password, clientAddress(ctx.req.socket));
    const stale = sessionTokenOf(ctx);
    if (stale !== undefined) await app.sessions.close(stale);
    setSessionCookie(ctx, signedIn.token, publicUrl);
    ctx.status = 201;
    ctx.body = { user: userView(signedIn.user), csrfToken: signedIn.csrfToken, expiresAt: signedIn.expiresAt };
  });

  router.delete('/session', async (ctx) => {
    requireUser(ctx);
    const token = sessionTokenOf(ctx);
    if (token !== undefined) await app.sessions.close(token);
    clearSessionCookie(ctx, publicUrl);
    ctx.status = 204;
  });

  router.get('/me', async (ctx) => {
    const principal = principalOf(ctx);
    if (principal.kind === 'admin') {
      ctx.body = { kind: 'admin', actor: principal.actor };
      return;
    }
    const row = await app.queries.users.byId(principal.userId);
    if (row === null) throw new ProblemError(401, 'SESSION_EXPIRED', 'The user no longer exists');
    const csrfToken = ctx.state.csrfToken as string | undefined;
    ctx.body = { kind: 'user', via: principal.via, ...userView(row), ...(csrfToken ? { csrfToken } : {}) };
  });

  /** A person changes their own password: the current one is checked, and their other sessions end. */
  router.put('/me/password', async (ctx) => {
    const principal = requireUser(ctx);
    const dto = validateBody(ChangeOwnPasswordDto, ctx.request.body);
    const address = clientAddress(ctx.req.socket);
    lockout.assertOpen(principal.name, address);
    if ((await checkPassword(app.queries.users, principal.name, dto.currentPassword)) === null) {
      lockout.failed(principal.name, address);
      throw new ProblemError(400, 'WRONG_PASSWORD', 'currentPassword is not the current password', [{ field: 'currentPassword', messages: ['is not the current password'] }]);
    }
    await app.commands.users.changePassword(principal.userId, dto.newPassword, commandContext(ctx));
    await app.sessions.closeAllOf(principal.userId, sessionTokenOf(ctx));
    ctx.status = 204;
  });

  return router;
};
