import { jsonEqual } from './equal';
import { changedFields, withoutUndefined } from './objects';

describe('jsonEqual', () => {
  it.each<[string, unknown, unknown]>([
    ['objects in any key order', { a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }],
    ['a key set to undefined and an absent key', { a: 1, b: undefined }, { a: 1 }],
    ['equal primitives', 'x', 'x'],
    ['null and null', null, null],
  ])('holds %s equal', (_, a, b) => {
    expect(jsonEqual(a, b)).toBe(true);
  });

  it.each<[string, unknown, unknown]>([
    ['arrays in another order', [1, 2], [2, 1]],
    ['an array and an object with index keys', [1], { 0: 1 }],
    ['null and an empty object', null, {}],
    ['objects with another value deep inside', { a: { b: 1 } }, { a: { b: 2 } }],
    ['objects with an extra key', { a: 1 }, { a: 1, b: 2 }],
  ])('tells %s apart', (_, a, b) => {
    expect(jsonEqual(a, b)).toBe(false);
  });
});

describe('changedFields', () => {
  it('returns the fields of the second object that differ, judged per field', () => {
    const equality = { n: (a: number, b: number) => a === b, list: jsonEqual };
    expect(changedFields({ n: 1, list: [1] }, { n: 2, list: [1] }, equality)).toEqual({ n: 2 });
  });
});

describe('withoutUndefined', () => {
  it('drops keys that are not given but keeps null', () => {
    expect(withoutUndefined<{ a?: number; b?: null; c?: number }>({ a: undefined, b: null, c: 0 })).toEqual({ b: null, c: 0 });
  });
});
