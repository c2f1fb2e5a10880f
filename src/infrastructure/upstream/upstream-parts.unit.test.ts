import { backoffDelayMs, DEFAULT_BACKOFF, wasStable } from './backoff';
import { buildChildEnvironment } from './child-env';
import { ConnectionSlots, SlotUnavailableError } from './connection-slots';
import { upstreamHeaders } from './http-transports';
import { needsReconnect } from './spec';
import { StderrTail } from './stderr-tail';
import type { UpstreamSpec } from './types';

const spec = (overrides: Partial<UpstreamSpec> = {}): UpstreamSpec => ({
  id: 'srv-1',
  name: 'one',
  transport: 'stdio',
  command: 'node',
  args: ['server.js'],
  env: { A: '1' },
  cwd: null,
  url: null,
  headers: {},
  bearerToken: null,
  timeoutMs: null,
  ...overrides,
});

describe('backoff', () => {
  it('doubles from the initial delay up to the maximum', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((failures) => backoffDelayMs(DEFAULT_BACKOFF, failures));

    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 10_000)).toBe(30_000);
  });

  it('counts a connection as stable only after the stable period', () => {
    expect(wasStable(DEFAULT_BACKOFF, null, 1_000_000)).toBe(false);
    expect(wasStable(DEFAULT_BACKOFF, 0, 59_999)).toBe(false);
    expect(wasStable(DEFAULT_BACKOFF, 0, 60_000)).toBe(true);
  });
});

describe('child environment', () => {
  const parent = { PATH: '/bin', HOME: '/home/a', GATEHOUSE_SECRET_KEY: 'k', SHELLFN: '() { :; }', USER: '() { x; }' };

  it('keeps the minimal variables, drops everything else, and applies the configured ones', () => {
    expect(buildChildEnvironment({ EXTRA: 'x', HOME: '/srv' }, parent, 'linux')).toEqual({
      PATH: '/bin',
      HOME: '/srv',
      EXTRA: 'x',
    });
  });

  it('adds SystemRoot and TEMP on Windows', () => {
    const env = buildChildEnvironment({}, { SystemRoot: 'C:\\Windows', TEMP: 'C:\\t', TMPDIR: '/x' }, 'win32');

    expect(env).toEqual({ SystemRoot: 'C:\\Windows', TEMP: 'C:\\t' });
  });
});

describe('connection slots', () => {
  it('grants up to the capacity, then queues in order', async () => {
    const slots = new ConnectionSlots(2);
    const first = await slots.acquire(1000);
    await slots.acquire(1000);
    const order: string[] = [];
    const third = slots.acquire(1000).then((release) => (order.push('third'), release));
    const fourth = slots.acquire(1000).then((release) => (order.push('fourth'), release));

    first();
    first(); // a second release of the same slot is ignored
    await third;

    expect(order).toEqual(['third']);
    expect(slots.used).toBe(2);
    expect(slots.waiting).toBe(1);
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
  });

  it('gives up after the timeout or when aborted', async () => {
    const slots = new ConnectionSlots(1);
    await slots.acquire(1000);
    const controller = new AbortController();
    const aborted = expect(slots.acquire(10_000, controller.signal)).rejects.toEqual(new SlotUnavailableError('aborted'));
    controller.abort();

    await aborted;
    await expect(slots.acquire(10)).rejects.toEqual(new SlotUnavailableError('timeout'));
    expect(slots.waiting).toBe(0);
  });
});

describe('stderr tail', () => {
  it('keeps only the last bytes', () => {
    const tail = new StderrTail(8);
    tail.append('hello ');
    tail.append(Buffer.from('world!'));

    expect(tail.text()).toBe('o world!');
  });

  it('drops a character cut in half at the start', () => {
    const tail = new StderrTail(3);
    tail.append('aé€'); // é is 2 bytes, € is 3: the kept 3 bytes are exactly "€"

    expect(tail.text()).toBe('€');
    tail.append('b');
    expect(tail.text()).toBe('b'); // the 2 bytes left of "€" are not text
  });
});

describe('upstream headers', () => {
  it('adds the bearer token, replacing any configured Authorization header', () => {
    expect(upstreamHeaders(spec({ headers: { authorization: 'Basic x', 'X-A': '1' }, bearerToken: 't' }))).toEqual({
      'X-A': '1',
      Authorization: 'Bearer t',
    });
    expect(upstreamHeaders(spec({ headers: { 'X-A': '1' } }))).toEqual({ 'X-A': '1' });
  });
});

describe('needsReconnect', () => {
  it('ignores the display name and the request timeout', () => {
    expect(needsReconnect(spec(), spec({ name: 'two', timeoutMs: 5 }))).toBe(false);
  });

  it.each<[string, Partial<UpstreamSpec>]>([
    ['command', { command: 'python' }],
    ['args', { args: ['other.js'] }],
    ['env', { env: { A: '2' } }],
    ['cwd', { cwd: '/tmp' }],
    ['url', { url: 'http://127.0.0.1:1/mcp' }],
    ['headers', { headers: { X: '1' } }],
    ['bearer token', { bearerToken: 'b' }],
    ['transport', { transport: 'sse' }],
  ])('reconnects when the %s changes', (_field, change) => {
    expect(needsReconnect(spec(), spec(change))).toBe(true);
  });
});
