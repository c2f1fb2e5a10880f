import type { Context } from 'koa';
import type { ResourceKind, Viewer } from '../../domain/access';
import type { Queries } from '../../infrastructure/readmodels/queries';
import type { Principal } from '../security/principal';
import { ProblemError } from './problem';

/** The request's principal as the access rules see it. */
export const viewerOf = (ctx: Context): Viewer => {
  const principal = ctx.state.principal as Principal | undefined;
  return principal === undefined || principal.kind === 'admin' ? { kind: 'admin' } : { kind: 'user', userId: principal.userId, role: principal.role };
};

/** The signed-in user behind the request, or null for the admin token. */
export const userIdOf = (ctx: Context): string | null => {
  const principal = ctx.state.principal as Principal | undefined;
  return principal?.kind === 'user' ? principal.userId : null;
};

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** The signed-in user behind the request; the admin token is nobody, and `what` says what needs a person. */
export const requireUser = (ctx: Context, what: string): UserPrincipal => {
  const principal = ctx.state.principal as Principal;
  if (principal.kind !== 'user') throw new ProblemError(409, 'NOT_A_USER', `The admin token is no user: ${what}`);
  return principal;
};

/**
 * Refuses a resource the viewer may not use with the same 404 as a missing one: a member learns
 * nothing about what is not shared with it.
 */
export const assertCanUse = async (queries: Queries, ctx: Context, kind: ResourceKind, resourceId: string, missing: ProblemError): Promise<void> => {
  if (!(await queries.access.canUse(viewerOf(ctx), kind, resourceId))) throw missing;
};

/** For reads the role table opens to members but whose variants are for admins (time travel shows what is no longer shared). */
export const assertNotMember = (ctx: Context, what: string): void => {
  const viewer = viewerOf(ctx);
  if (viewer.kind === 'user' && viewer.role === 'member') throw new ProblemError(403, 'FORBIDDEN', `${what} needs the admin role`);
};
