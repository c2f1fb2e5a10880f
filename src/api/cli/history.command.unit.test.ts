import { summarizeEvent } from './history.command';

describe('the history summary of an event', () => {
  it('leaves out the id the stream already shows, and what is empty', () => {
    const data = { serverId: 's1', name: 'files', description: null, args: [], env: {}, transport: 'stdio' };
    expect(summarizeEvent('server-s1', data)).toBe('name=files transport=stdio');
  });

  it('flattens one level of nesting and shows masked secrets as they are', () => {
    const data = { serverId: 's1', changes: { env: { API_KEY: '••••0001' }, timeoutMs: 5000 } };
    expect(summarizeEvent('server-s1', data)).toBe('changes.env={"API_KEY":"••••0001"} changes.timeoutMs=5000');
  });

  it('quotes strings with spaces and shrinks lists of objects to their names', () => {
    const data = { serverId: 's1', tools: [{ name: 'read', inputSchema: {} }, { name: 'write', inputSchema: {} }], note: 'two words' };
    expect(summarizeEvent('server-s1', data)).toBe('tools=[read, write] note="two words"');
  });

  it('clips long lines', () => {
    const summary = summarizeEvent('profile-p1', { description: 'x'.repeat(500), name: 'y'.repeat(500) });
    expect(summary.length).toBeLessThanOrEqual(120);
    expect(summary.endsWith('…')).toBe(true);
  });
});
