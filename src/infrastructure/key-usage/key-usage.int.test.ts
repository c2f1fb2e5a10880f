import { useTestDatabase } from '../../../test/support/application';
import { KeyUseRecorder, lastUsedAt, recordKeyUse } from './key-usage';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number): string => new Date(BASE + seconds * 1000).toISOString();

describe('API key use (api_key_usage on a real SQLite file)', () => {
  const database = useTestDatabase();

  it('writes a key at most once a minute (its latest use), the first use at once, what is left on close; never moves back', async () => {
    let now = BASE;
    const writes: string[][] = [];
    const recorder = new KeyUseRecorder({
      now: () => now,
      // The timer is not what is tested here: flush() is called as the timer would.
      delayMs: 3_600_000,
      write: async (entries) => {
        writes.push(entries.map((entry) => entry.keyId));
        await recordKeyUse(database(), entries);
      },
    });
    const stored = async () => Object.fromEntries(await lastUsedAt(database().reads, ['k1', 'k2', 'k3']));

    recorder.used('k1');
    await recorder.flush();
    expect(await stored()).toEqual({ k1: at(0) });

    now = BASE + 10_000;
    recorder.used('k1');
    now = BASE + 30_000;
    recorder.used('k1');
    recorder.used('k2');
    await recorder.flush();
    expect(await stored()).toEqual({ k1: at(0), k2: at(30) });

    now = BASE + 60_000;
    await recorder.flush();
    expect(await stored()).toEqual({ k1: at(30), k2: at(30) });
    expect(writes).toEqual([['k1'], ['k2'], ['k1']]);

    await recordKeyUse(database(), [{ keyId: 'k1', at: BASE }]);
    expect((await stored()).k1).toBe(at(30));

    now = BASE + 70_000;
    recorder.used('k1');
    await recorder.flush();
    expect((await stored()).k1).toBe(at(30));
    await recorder.close();
    expect(await stored()).toEqual({ k1: at(70), k2: at(30) });
    expect(writes).toHaveLength(4);
  });

  it('writes a first use after the delay, off the request path', async () => {
    let written: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (written = resolve));
    const recorder = new KeyUseRecorder({
      delayMs: 10,
      write: async (entries) => {
        await recordKeyUse(database(), entries);
        written();
      },
    });
    recorder.used('k3');
    expect((await lastUsedAt(database().reads, ['k3'])).has('k3')).toBe(false);
    await done;
    expect((await lastUsedAt(database().reads, ['k3'])).get('k3')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await recorder.close();
  });
});
