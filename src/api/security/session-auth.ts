import type { Context } from 'koa';
import type { Application } from '../../infrastructure/application';
import { SESSION_LIFETIME_MS } from '../../infrastructure/sessions';
import { userPrincipal, type Principal } from './principal';

/**
 * Browser sessions as the edges see them: the cookie, and who it signs in. Kept apart from the
 * REST API's middleware so that any page of Gatehouse's own (the sign-in page, an OAuth consent
 * page) can ask "which person is this?" the same way.
 */
export const SESSION_COOKIE = 'gatehouse_session';

/** The session token a request carries in its cookie, if any. */
export const sessionTokenOf = (ctx: Context): string | undefined => {
  const token = ctx.cookies.get(SESSION_COOKIE);
  return token === undefined || token === '' ? undefined : token;
};

export type SignedInPerson = Readonly<{ principal: Extract<Principal, { kind: 'user' }>; csrfToken: string; sessionToken: string }>;

/**
 * The enabled user signed in by the request's session cookie, with the session's CSRF token; null
 * when there is no cookie or it opens nothing (unknown, expired, signed out, user disabled). Reads
 * the user's current row on every call, so a disabled user is refused on the next request.
 */
export const signedInPerson = async (app: Application, ctx: Context): Promise<SignedInPerson | null> => {
  const token = sessionTokenOf(ctx);
  if (token === undefined) return null;
  const session = await app.sessions.resolve(token);
  if (session === null) return null;
  return { principal: userPrincipal(session.user, 'session') as SignedInPerson['principal'], csrfToken: session.csrfToken, sessionToken: token };
};

/** `Secure` when Gatehouse is reached over https (GATEHOUSE_PUBLIC_URL): a plain-http loopback setup keeps working. */
const secureFor = (publicUrl: string): string => (publicUrl.startsWith('https:') ? '; Secure' : '');

/** Sets the session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Path=/. */
export const setSessionCookie = (ctx: Context, token: string, publicUrl: string): void => {
  ctx.append('Set-Cookie', `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${SESSION_LIFETIME_MS / 1000}; HttpOnly; SameSite=Strict${secureFor(publicUrl)}`);
};

export const clearSessionCookie = (ctx: Context, publicUrl: string): void => {
  ctx.append('Set-Cookie', `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secureFor(publicUrl)}`);
};

/**
 * A path on this origin to go back to after signing in, or null: only `/…` paths, never `//host`
 * or `/\host` (which browsers read as another origin), nor control characters. No open redirect.
 */
export const safeReturnPath = (value: unknown): string | null =>
  typeof value === 'string' && value.length <= 2048 && /^\/(?![/\\])[^\u0000-\u001f\u007f\\]*$/.test(value) ? value : null;

/** Where to send a person who must sign in first, and back to `returnTo` afterwards. */
export const signInUrl = (returnTo: string): string => `/login?return_to=${encodeURIComponent(safeReturnPath(returnTo) ?? '/login')}`;
