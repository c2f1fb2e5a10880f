import type { Role } from '../../domain/user';
import { ProblemError } from '../rest/problem';
import { hasRole, type Principal } from './principal';

/**
 * The one table of who may call what under /api: the least role a route needs, first match wins.
 * Owners manage users, admins may read the list of them; admins manage servers, profiles, keys,
 * settings, imports and logs; members
 * see and use what is shared with them (the routes open to them filter what they return by
 * ownership and visibility). The admin token passes every rule.
 */
const RULES: readonly (readonly [methods: RegExp, path: RegExp, role: Role])[] = [
  [/.*/, /^\/api\/(me|session)(\/|$)/, 'member'],
  [/^(GET|HEAD)$/, /^\/api\/(profiles|servers)(\/[^/]+(\/tools)?)?\/?$/, 'member'],
  [/.*/, /^\/api\/keys(\/[^/]+)?\/?$/, 'member'],
  [/.*/, /^\/api\/users\/[^/]+\/tokens(\/|$)/, 'owner'],
  [/^(GET|HEAD)$/, /^\/api\/users(\/[^/]+)?\/?$/, 'admin'],
  // A user's own credentials for a per-user server they can use, their OAuth grant included (the route checks visibility).
  [/.*/, /^\/api\/servers\/[^/]+\/credentials(\/oauth\/authorize)?\/?$/, 'member'],
  [/.*/, /^\/api\/users(\/|$)/, 'owner'],
  [/.*/, /^\/api\//, 'admin'],
];

export const requiredRole = (method: string, path: string): Role => RULES.find(([methods, pattern]) => methods.test(method) && pattern.test(path))?.[2] ?? 'owner';

/** 403 when the principal's role is below what the route needs. */
export const assertAllowed = (principal: Principal, method: string, path: string): void => {
  const role = requiredRole(method, path);
  if (!hasRole(principal, role)) throw new ProblemError(403, 'FORBIDDEN', `This needs the ${role} role`);
};
