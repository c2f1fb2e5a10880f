import { AuthFailureLimiter } from './auth-failures';

describe('AuthFailureLimiter', () => {
  let now = 1_000_000;
  const clock = (): number => now;
  const limiter = (maxAddresses = 100): AuthFailureLimiter => new AuthFailureLimiter({ maxFailures: 3, windowMs: 60_000, maxAddresses }, clock);

  beforeEach(() => {
    now = 1_000_000;
  });

  it('blocks an address after the limit, with the seconds left in its window', () => {
    const limits = limiter();
    for (let i = 0; i < 2; i += 1) limits.recordFailure('10.0.0.1');
    expect(limits.retryAfter('10.0.0.1')).toBeNull();
    limits.recordFailure('10.0.0.1');
    now += 15_500;
    expect(limits.retryAfter('10.0.0.1')).toBe(45);
  });

  it('counts each address on its own', () => {
    const limits = limiter();
    for (let i = 0; i < 3; i += 1) limits.recordFailure('10.0.0.1');
    expect(limits.retryAfter('10.0.0.2')).toBeNull();
  });

  it('forgets an address when its window ends', () => {
    const limits = limiter();
    for (let i = 0; i < 3; i += 1) limits.recordFailure('10.0.0.1');
    now += 60_000;
    expect(limits.retryAfter('10.0.0.1')).toBeNull();
    limits.recordFailure('10.0.0.1');
    expect(limits.retryAfter('10.0.0.1')).toBeNull();
  });

  it('never answers less than one second', () => {
    const limits = limiter();
    for (let i = 0; i < 3; i += 1) limits.recordFailure('10.0.0.1');
    now += 59_999;
    expect(limits.retryAfter('10.0.0.1')).toBe(1);
  });

  it('keeps memory bounded by dropping the oldest window', () => {
    const limits = limiter(2);
    for (let i = 0; i < 3; i += 1) limits.recordFailure('10.0.0.1');
    limits.recordFailure('10.0.0.2');
    limits.recordFailure('10.0.0.3');
    expect(limits.retryAfter('10.0.0.1')).toBeNull();
  });
});
