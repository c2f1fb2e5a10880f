import { AuthFailureLimiter } from './auth-failures';

describe('AuthFailureLimiter', () => {
  let now = 1_000_000;
  const clock = (): number => now;
  const limiter = (maxAddresses = 100): AuthFailureLimiter =>
    new AuthFailureLimiter({ maxFailures: 3, maxFailuresPerAddress: 5, windowMs: 60_000, maxAddresses }, clock);
  /** `times` failures of one caller; the answers: null (401) or seconds (429). */
  const fail = (limits: AuthFailureLimiter, times: number, address: string, credential?: string): (number | null)[] =>
    Array.from({ length: times }, () => limits.refuse(address, credential));

  beforeEach(() => {
    now = 1_000_000;
  });

  it('refuses a caller after the limit, with the seconds left in its window', () => {
    const limits = limiter();
    expect(fail(limits, 3, '10.0.0.1', 'gh_aaaaa-1')).toEqual([null, null, null]);
    now += 15_500;
    expect(limits.refuse('10.0.0.1', 'gh_aaaaa-1')).toBe(45);
  });

  it('counts each address and each credential prefix on its own', () => {
    const limits = limiter();
    fail(limits, 3, '10.0.0.1', 'gh_aaaaa-1');
    expect(limits.refuse('10.0.0.1', 'gh_aaaaa-2')).toBe(60); // the same first eight characters: the same caller
    expect(limits.refuse('10.0.0.1', 'gh_bbbbb')).toBeNull();
    expect(limits.refuse('10.0.0.2', 'gh_aaaaa-1')).toBeNull();
    expect(limits.refuse('10.0.0.1', undefined)).toBeNull();
  });

  it('bounds one address over all its credentials, so guessing many keys runs out too', () => {
    const limits = limiter();
    expect(['gh_1', 'gh_2', 'gh_3', 'gh_4', 'gh_5'].map((key) => limits.refuse('10.0.0.1', key))).toEqual([null, null, null, null, null]);
    expect(limits.refuse('10.0.0.1', 'gh_6')).toBe(60);
    expect(limits.refuse('10.0.0.2', 'gh_6')).toBeNull();
  });

  it('forgets a caller when its window ends', () => {
    const limits = limiter();
    fail(limits, 3, '10.0.0.1', 'gh_a');
    now += 60_000;
    expect(fail(limits, 3, '10.0.0.1', 'gh_a')).toEqual([null, null, null]);
  });

  it('never answers less than one second', () => {
    const limits = limiter();
    fail(limits, 3, '10.0.0.1', 'gh_a');
    now += 59_999;
    expect(limits.refuse('10.0.0.1', 'gh_a')).toBe(1);
  });

  it('keeps memory bounded by dropping the oldest window', () => {
    const limits = limiter(2);
    fail(limits, 3, '10.0.0.1', 'gh_a'); // two windows: the caller's and the address's
    fail(limits, 1, '10.0.0.2', 'gh_b');
    expect(limits.refuse('10.0.0.1', 'gh_a')).toBeNull();
  });
});
