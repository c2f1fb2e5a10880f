import fc from 'fast-check';
import { checkJson, findForbiddenKey, jsonNestingDepth, MAX_JSON_DEPTH } from './json-safety';

const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('jsonNestingDepth', () => {
  it.each([
    ['1', 0],
    ['{}', 1],
    ['{"a":[1,{"b":2}]}', 3],
    ['"[[[[[[ in a string ]]"', 0],
    ['{"a":"\\"[[[["}', 1],
    ['["\\\\", [1]]', 2],
  ])('measures %s as %i', (text, depth) => {
    expect(jsonNestingDepth(text)).toBe(depth);
  });

  it('stops counting once the limit is passed (a 1 MiB nest costs one scan)', () => {
    expect(jsonNestingDepth(nested(500_000), 10)).toBe(11);
  });

  it('agrees with the real structure for any JSON value', () => {
    const depthOf = (value: unknown): number =>
      typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(jsonNestingDepth(JSON.stringify(value), 100)).toBe(depthOf(value));
      }),
      { numRuns: 200 },
    );
  });
});

describe('findForbiddenKey', () => {
  it.each([
    ['{"__proto__": {"polluted": true}}', '__proto__'],
    ['{"a": [{"b": {"constructor": {"prototype": {}}}}]}', 'a[0].b.constructor'],
    ['[{"x": 1}, {"__proto__": null}]', '[1].__proto__'],
  ])('finds the key in %s', (text, path) => {
    expect(findForbiddenKey(JSON.parse(text))).toBe(path);
  });

  it('lets ordinary keys and values through, including the words as values', () => {
    expect(findForbiddenKey(JSON.parse('{"name": "constructor", "tags": ["__proto__"], "prototype": 1}'))).toBeNull();
  });
});

describe('checkJson', () => {
  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(checkJson(nested(MAX_JSON_DEPTH), JSON.parse(nested(MAX_JSON_DEPTH)))).toBeNull();
    expect(checkJson(nested(MAX_JSON_DEPTH + 1), null)).toMatchObject({ reason: 'too_deep' });
  });

  it('refuses prototype keys with their path', () => {
    const text = '{"env": {"__proto__": "x"}}';
    expect(checkJson(text, JSON.parse(text))).toEqual({ reason: 'forbidden_key', path: 'env.__proto__', message: expect.stringContaining('__proto__') });
  });
});
