import { useState, type FormEvent } from 'react';
import { ApiError, csrf, get, send, token } from '../api';
import { ErrorNote, Field } from '../ui';

/**
 * Sign-in: a person with their name and password (a server-side session in an HttpOnly cookie),
 * or the admin token (printed by `gatehouse serve`), checked against the API before it is kept.
 */
export const SignIn = ({ onSignedIn }: { onSignedIn: () => void }) => {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [adminToken, setAdminToken] = useState('');

  const run = async (attempt: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await attempt();
      onSignedIn();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const signInAsUser = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(async () => {
      token.clear();
      const answer = await send<{ csrfToken: string }>('POST', '/api/session', { name: String(form.get('name') ?? ''), password: String(form.get('password') ?? '') });
      csrf.set(answer.csrfToken);
    });
  };

  const signInWithToken = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      token.set(adminToken.trim());
      try {
        await get('/api/settings');
      } catch (failure) {
        token.clear();
        throw failure instanceof ApiError && failure.status === 401 ? new Error('That admin token is not valid.') : failure;
      }
    });
  };

  return (
    <main className="signin" id="main">
      <h1>Sign in to Gatehouse</h1>
      <ErrorNote error={error} />
      <form onSubmit={signInAsUser} aria-label="Sign in with your account">
        <Field label="User name">
          <input name="name" autoComplete="username" required autoFocus />
        </Field>
        <Field label="Password">
          <input name="password" type="password" autoComplete="current-password" required />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <details>
        <summary>Use the admin token instead</summary>
        <form onSubmit={signInWithToken} aria-label="Sign in with the admin token">
          <Field label="Admin token" hint="Printed by gatehouse serve on first start (or set with GATEHOUSE_ADMIN_TOKEN).">
            <input type="password" name="token" autoComplete="off" required value={adminToken} onChange={(e) => setAdminToken(e.target.value)} />
          </Field>
          <button type="submit" disabled={busy || adminToken.trim() === ''}>
            Sign in with the token
          </button>
        </form>
      </details>
    </main>
  );
};
