import { diffConfig } from './config-diff';

describe('diffConfig', () => {
  it('finds nothing between equal documents', () => {
    expect(diffConfig({ a: { b: [1, 2] }, c: null }, { c: null, a: { b: [1, 2] } })).toEqual([]);
  });

  it('lists added, removed and changed leaves with their paths, keys sorted', () => {
    const before = { profiles: { dev: { name: 'Dev', tools: { 'everything/echo': { status: 'active' } } } }, servers: { old: { url: 'x' } } };
    const after = { profiles: { dev: { name: 'Development', tools: { 'everything/echo': { status: 'inactive' } } }, ops: { name: 'Ops' } }, servers: {} };
    expect(diffConfig(before, after)).toEqual([
      { path: ['profiles', 'dev', 'name'], op: 'changed', before: 'Dev', after: 'Development' },
      { path: ['profiles', 'dev', 'tools', 'everything/echo', 'status'], op: 'changed', before: 'active', after: 'inactive' },
      { path: ['profiles', 'ops'], op: 'added', after: { name: 'Ops' } },
      { path: ['servers', 'old'], op: 'removed', before: { url: 'x' } },
    ]);
  });

  it('compares arrays whole, and a type change as a change', () => {
    expect(diffConfig({ args: ['a', 'b'], n: 1 }, { args: ['b', 'a'], n: '1' })).toEqual([
      { path: ['args'], op: 'changed', before: ['a', 'b'], after: ['b', 'a'] },
      { path: ['n'], op: 'changed', before: 1, after: '1' },
    ]);
  });

  it('treats null as a value, distinct from an absent key', () => {
    expect(diffConfig({ description: null }, {})).toEqual([{ path: ['description'], op: 'removed', before: null }]);
  });
});
