import type { Role } from '../user/events';
import type { Access } from './events';

/** Whoever asks, as the access rules see them: the admin token is no user and sees everything. */
export type Viewer = Readonly<{ kind: 'admin' }> | Readonly<{ kind: 'user'; userId: string; role: Role }>;

/** Whether `viewer` may see and use a resource: admins and owners always, members when it is theirs or shared with them. */
export const canUse = (viewer: Viewer, access: Access): boolean => {
  if (viewer.kind === 'admin' || viewer.role !== 'member') return true;
  if (access.ownerId === viewer.userId) return true;
  return access.visibility === 'shared' && (access.sharedWithUsers.includes(viewer.userId) || access.sharedWithRoles.includes(viewer.role));
};
