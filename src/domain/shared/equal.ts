/**
 * Structural equality of JSON-like values (what events carry): arrays element by element,
 * objects key by key in any order. A key whose value is `undefined` counts as absent, as it
 * would after a trip through JSON.
 */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (!isPlainRecord(a) || !isPlainRecord(b)) return false;
  const keys = definedKeys(a);
  return keys.length === definedKeys(b).length && keys.every((key) => jsonEqual(a[key], b[key]));
};

export const strictEqual = (a: unknown, b: unknown): boolean => a === b;

const isPlainRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null;

const definedKeys = (record: Readonly<Record<string, unknown>>): string[] =>
  Object.keys(record).filter((key) => record[key] !== undefined);
