import { closeInOrder } from './teardown';

describe('closeInOrder', () => {
  it('runs every step in order, and rethrows every failure together after the last step', async () => {
    const ran: string[] = [];
    const outcome = closeInOrder([
      () => ran.push('a'),
      async () => {
        ran.push('b');
        throw new Error('b failed');
      },
      () => {
        ran.push('c');
        throw new Error('c failed');
      },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        ran.push('d');
      },
    ]);
    await expect(outcome).rejects.toThrow('2 steps of the close failed: b failed; c failed');
    await expect(outcome).rejects.toBeInstanceOf(AggregateError);
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rethrows a single failure as it is', async () => {
    const failure = new Error('only this one');
    await expect(closeInOrder([() => undefined, () => Promise.reject(failure), () => undefined])).rejects.toBe(failure);
  });

  it('settles when every step succeeds', async () => {
    const ran: number[] = [];
    await expect(closeInOrder([1, 2, 3].map((n) => () => ran.push(n)))).resolves.toBeUndefined();
    expect(ran).toEqual([1, 2, 3]);
  });
});
