import { expiredRecordsSweep } from './expired-records';

describe('expiredRecordsSweep', () => {
  it('sweeps every table even when one fails, and reports the counts of those that removed rows', async () => {
    const failures: string[] = [];
    const reported: Record<string, number>[] = [];
    const sweep = expiredRecordsSweep({
      tables: [
        { table: 'broken', removeExpired: () => Promise.reject(new Error('database is locked')) },
        { table: 'none', removeExpired: async () => 0 },
        { table: 'some', removeExpired: async () => 3 },
      ],
      intervalMs: 60_000,
      onRun: (removed) => void reported.push({ ...removed }),
      onError: (table) => void failures.push(table),
    });
    await expect(sweep.runOnce()).resolves.toEqual({ some: 3 });
    expect(failures).toEqual(['broken']);
    expect(reported).toEqual([{ some: 3 }]);
  });
});
