import { ProblemError } from '../rest/problem';
import { LoginLockout } from './login-lockout';

describe('LoginLockout', () => {
  let now = 0;
  const lockout = (): LoginLockout => new LoginLockout({ maxPerName: 3, maxPerAddress: 5, windowMs: 60_000, maxEntries: 100 }, () => now);
  const refusal = (limiter: LoginLockout, name: string, address: string): ProblemError | null => {
    try {
      limiter.assertOpen(name, address);
      return null;
    } catch (error) {
      return error as ProblemError;
    }
  };
  beforeEach(() => {
    now = 1_000_000;
  });

  it('locks a name after its failures, for the rest of the window, from any address', () => {
    const limiter = lockout();
    for (let i = 0; i < 3; i += 1) limiter.failed('alice', `10.0.0.${i}`);
    expect(refusal(limiter, 'alice', '10.0.0.9')).toMatchObject({ status: 429, code: 'TOO_MANY_SIGN_IN_ATTEMPTS', headers: { 'Retry-After': '60' } });
    expect(refusal(limiter, 'bob', '10.0.0.9')).toBeNull();
    now += 60_000;
    expect(refusal(limiter, 'alice', '10.0.0.9')).toBeNull();
  });

  it('locks an address that sprays one password over many names', () => {
    const limiter = lockout();
    for (let i = 0; i < 5; i += 1) limiter.failed(`user${i}`, '10.0.0.1');
    expect(refusal(limiter, 'someone-else', '10.0.0.1')).toMatchObject({ status: 429 });
    expect(refusal(limiter, 'someone-else', '10.0.0.2')).toBeNull();
  });

  it('clears a name\'s failures on success', () => {
    const limiter = lockout();
    limiter.failed('alice', 'a');
    limiter.failed('alice', 'b');
    limiter.succeeded('alice');
    limiter.failed('alice', 'c');
    limiter.failed('alice', 'd');
    expect(refusal(limiter, 'alice', 'e')).toBeNull();
  });

  it('tracks a bounded number of names and addresses', () => {
    const limiter = new LoginLockout({ maxPerName: 1, maxPerAddress: 1000, windowMs: 60_000, maxEntries: 4 }, () => now);
    for (let i = 0; i < 50; i += 1) limiter.failed(`n${i}`, 'same');
    expect(refusal(limiter, 'n49', 'same')).toMatchObject({ status: 429 });
    expect(refusal(limiter, 'n0', 'same')).toBeNull();
  });
});
