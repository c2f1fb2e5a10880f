import type { Application } from '../../infrastructure/application';
import { checkPassword } from '../../infrastructure/sessions';
import type { UserRow } from '../../infrastructure/readmodels/user';
import { ProblemError } from '../rest/problem';
import type { LoginLockout } from './login-lockout';

/** One answer for an unknown name, a wrong password and a disabled user: it tells nobody which names exist. */
export const WRONG_CREDENTIALS = 'Wrong name or password';

export type SignedIn = Readonly<{ user: UserRow; token: string; csrfToken: string; expiresAt: string }>;

/**
 * Checks a name and password under the lockout and opens a session. Throws 429 when the name or
 * the address is locked (checked first, so a locked name is refused even with its password), and
 * 401 INVALID_CREDENTIALS otherwise when the check fails.
 */
export const signIn = async (app: Application, lockout: LoginLockout, name: string, password: string, address: string): Promise<SignedIn> => {
  lockout.assertOpen(name, address);
  const user = await checkPassword(app.queries.users, name, password);
  if (user === null) {
    lockout.failed(name, address);
    throw new ProblemError(401, 'INVALID_CREDENTIALS', WRONG_CREDENTIALS);
  }
  lockout.succeeded(name);
  const session = await app.sessions.open(user.id);
  return { user, ...session };
};
