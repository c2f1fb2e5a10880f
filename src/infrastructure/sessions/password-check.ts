import { verifyPassword } from '../crypto/password';
import type { UserReadModel, UserRow } from '../readmodels/user';

/**
 * The enabled user with this name and password, or null. An unknown name, a wrong password and a
 * disabled user take the same scrypt time and give the same answer, so neither the answer nor its
 * timing tells a guesser which names exist.
 */
export const checkPassword = async (users: Pick<UserReadModel, 'byName'>, name: string, password: string): Promise<UserRow | null> => {
  const user = name.length <= 64 ? await users.byName(name) : null;
  const matches = await verifyPassword(password, user?.passwordHash ?? null);
  return matches && user !== null && user.status === 'enabled' ? user : null;
};
