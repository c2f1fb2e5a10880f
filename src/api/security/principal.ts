import type { Role } from '../../domain/user';

/** Who a request acts as, once authenticated. The admin token stands above every role (automation). */
export type Principal =
  | Readonly<{ kind: 'admin'; actor: 'admin' }>
  | Readonly<{
      kind: 'user';
      /** How the user authenticated: the browser session cookie, or a personal access token. */
      via: 'session' | 'token';
      userId: string;
      name: string;
      role: Role;
      /** The audit trail's name for the user: `user:<name>/<id>` (the id stays when the name changes). */
      actor: string;
    }>;

export const userActor = (userId: string, name: string): string => `user:${name}/${userId}`;

export const userPrincipal = (user: Readonly<{ id: string; name: string; role: Role }>, via: 'session' | 'token'): Principal => ({
  kind: 'user',
  via,
  userId: user.id,
  name: user.name,
  role: user.role,
  actor: userActor(user.id, user.name),
});

const RANK: Readonly<Record<Role, number>> = { member: 0, admin: 1, owner: 2 };

/** Whether the principal holds `role` or a higher one; the admin token holds every role. */
export const hasRole = (principal: Principal, role: Role): boolean => principal.kind === 'admin' || RANK[principal.role] >= RANK[role];
