import { closeInOrder } from './teardown';

describe('closeInOrder', () => {
  it('runs every step in order, and rethrows the first failure after the last step', async () => {
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
    await expect(outcome).rejects.toThrow('b failed');
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
  });

  it('settles when every step succeeds', async () => {
    const ran: number[] = [];
    await expect(closeInOrder([1, 2, 3].map((n) => () => ran.push(n)))).resolves.toBeUndefined();
    expect(ran).toEqual([1, 2, 3]);
  });
});
