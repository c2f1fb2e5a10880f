import type { Context, Next } from 'koa';
import type { Application } from '../../infrastructure/application';
import { hashPersonalAccessToken, PAT_PREFIX } from '../../infrastructure/commands/pat.commands';
import { tokensMatch } from '../../infrastructure/config/admin-token';
import { userPrincipal, type Principal } from '../security/principal';
import { assertAllowed } from '../security/roles';
import { signedInPerson, sessionTokenOf } from '../security/session-auth';
import { ProblemError } from './problem';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const CSRF_HEADER = 'x-csrf-token';

export type AuthenticateOptions = Readonly<{
  app: Application;
  /** The token itself, or a function asked at every request (see adminTokenSource). */
  adminToken: string | (() => string);
  /** Routes that answer without credentials (sign-in itself). */
  anonymous?: (method: string, path: string) => boolean;
}>;

const unauthenticated = (): ProblemError =>
  new ProblemError(401, 'UNAUTHENTICATED', 'Send the admin token or a personal access token as "Authorization: Bearer <token>", or sign in (POST /api/session)', undefined, {
    'WWW-Authenticate': 'Bearer realm="gatehouse-admin"',
  });

/** Longer than any token Gatehouse issues: such a header is refused without hashing it. */
const MAX_PAT_LENGTH = 128;

/**
 * The admin token, or a user's personal access token: that user with that user's current role
 * (a revoked or expired token, or a disabled user's, is refused from the next request on).
 */
const bearerPrincipal = async (token: string, options: AuthenticateOptions): Promise<Principal> => {
  const admin = typeof options.adminToken === 'function' ? options.adminToken() : options.adminToken;
  if (tokensMatch(token, admin)) return { kind: 'admin', actor: 'admin' };
  if (token.startsWith(PAT_PREFIX) && token.length <= MAX_PAT_LENGTH) {
    const user = await options.app.queries.personalAccessTokens.userFor(hashPersonalAccessToken(token), new Date());
    if (user !== null) return userPrincipal(user, 'token');
  }
  throw new ProblemError(401, 'INVALID_TOKEN', 'The token is not valid', undefined, { 'WWW-Authenticate': 'Bearer realm="gatehouse-admin", error="invalid_token"' });
};

/** The cookie's person; a write must also carry the session's CSRF token (a cross-site form cannot read it). */
const sessionPrincipal = async (ctx: Context, app: Application): Promise<Principal> => {
  const person = await signedInPerson(app, ctx);
  if (person === null) throw new ProblemError(401, 'SESSION_EXPIRED', 'The session is not valid (expired or signed out): sign in again');
  if (WRITES.has(ctx.method) && !tokensMatch(ctx.get(CSRF_HEADER), person.csrfToken)) {
    throw new ProblemError(403, 'CSRF_TOKEN_INVALID', 'Writes with a session cookie need the X-CSRF-Token header (from the sign-in response or GET /api/me)');
  }
  ctx.state.csrfToken = person.csrfToken;
  return person.principal;
};

/**
 * Every /api route: the admin token (automation), a person's personal access token, or a
 * signed-in person (session cookie), then the role table. A bearer header wins over a cookie, so a script holding a token never needs CSRF.
 * Sets `ctx.state.principal` and `ctx.state.actor` (the events' audit name).
 */
export const authenticate = (options: AuthenticateOptions) => async (ctx: Context, next: Next): Promise<void> => {
  const header = ctx.get('authorization');
  let principal: Principal | undefined;
  if (header !== '') {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthenticated();
    principal = await bearerPrincipal(match[1], options);
  } else if (options.anonymous?.(ctx.method, ctx.path)) {
    // Sign-in answers anybody, a stale cookie included.
    return next();
  } else if (sessionTokenOf(ctx) !== undefined) {
    principal = await sessionPrincipal(ctx, options.app);
  } else {
    throw unauthenticated();
  }
  assertAllowed(principal, ctx.method, ctx.path);
  ctx.state.principal = principal;
  ctx.state.actor = principal.actor;
  await next();
};
