import { useState, type FormEvent } from 'react';
import { ApiError, get, token } from '../api';
import { ErrorNote, Field } from '../ui';

/** Sign-in with the admin token (printed by `gatehouse serve`, or GATEHOUSE_ADMIN_TOKEN), checked against the API before it is kept. */
export const SignIn = ({ onSignedIn }: { onSignedIn: () => void }) => {
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    token.set(value.trim());
    try {
      await get('/api/settings');
      onSignedIn();
    } catch (failure) {
      token.clear();
      setError(failure instanceof ApiError && failure.status === 401 ? new Error('That admin token is not valid.') : failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <h1>Sign in to Gatehouse</h1>
      <form onSubmit={(event) => void submit(event)}>
        <Field label="Admin token" hint="Printed by gatehouse serve on first start (or set with GATEHOUSE_ADMIN_TOKEN).">
          <input type="password" name="token" autoComplete="current-password" required autoFocus value={value} onChange={(e) => setValue(e.target.value)} />
        </Field>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy || value.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
};
