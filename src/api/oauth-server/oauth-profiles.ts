import type { Queries } from '../../infrastructure/readmodels/queries';

/** The account of a grant allowed with the admin token (a person's grant has their user id). */
export const ADMIN_ACCOUNT = 'admin';

/**
 * Slugs of the active profiles taking OAuth tokens that the holder of `accountId` may use: all
 * of them for the admin token, owners and admins; for a member, those they own or that are shared
 * with them or their role (the same rule as the REST API's); none for an unknown or disabled
 * user. The consent page offers these, allowing checks them, and every request with a person's
 * access token checks them again, so unsharing a profile ends its tokens at once.
 */
export const oauthSlugsFor = async (queries: Queries, accountId: string): Promise<string[]> => {
  const profiles = await queries.profiles.oauthProfiles();
  if (accountId === ADMIN_ACCOUNT) return profiles.map((profile) => profile.slug);
  const user = await queries.users.byIdOrName(accountId);
  if (user === null || user.id !== accountId || user.status !== 'enabled') return [];
  const usable = new Set(await queries.access.visible({ kind: 'user', userId: user.id, role: user.role }, 'profile', profiles.map((profile) => profile.id)));
  return profiles.filter((profile) => usable.has(profile.id)).map((profile) => profile.slug);
};
