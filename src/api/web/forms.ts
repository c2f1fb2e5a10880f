import type { Context, Next } from 'koa';
import { ProblemError } from '../rest/problem';

/** The pages may post forms to this origin and nothing else; no script, no style from anywhere. */
const PAGE_CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** An HTML page of Gatehouse's own (sign-in, setup), under the pages' CSP. */
export const html = (ctx: Context, status: number, body: string): void => {
  ctx.status = status;
  ctx.set('Content-Security-Policy', PAGE_CSP);
  // Under `no-referrer` (every other response's policy) a browser posts these forms with `Origin: null`, which sameOrigin refuses.
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
};

/**
 * A form post must come from this origin: browsers send `Origin` on every POST, and a page of
 * another site posting one of our forms (login CSRF) carries its own origin.
 */
export const sameOrigin = (publicUrl: string) => async (ctx: Context, next: Next): Promise<void> => {
  const origin = ctx.get('origin');
  const allowed = new Set([new URL(publicUrl).origin, `${ctx.protocol}://${ctx.host}`]);
  if (origin !== '' && !allowed.has(origin)) throw new ProblemError(403, 'CROSS_ORIGIN_FORM', 'This form can only be sent from Gatehouse\'s own pages');
  await next();
};

/** A text field of a parsed form body ('' when absent or not text). */
export const field = (ctx: Context, name: string): string => {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};
