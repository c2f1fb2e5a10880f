/**
 * How each field of a settings object is compared. A `Record` over every key, so that a field
 * added to the settings type does not compile until someone decides how it is compared (secrets
 * by fingerprint, arrays and maps structurally, the rest with `===`).
 */
export type FieldEquality<T> = { readonly [K in keyof T]-?: (a: T[K], b: T[K]) => boolean };

/** The fields of `to` that differ from `from`, judged by `equality`; `{}` when nothing differs. */
export const changedFields = <T extends object>(from: T, to: T, equality: FieldEquality<T>): Partial<T> => {
  const changes: Partial<T> = {};
  for (const key of Object.keys(equality) as (keyof T)[]) {
    if (!equality[key](from[key], to[key])) changes[key] = to[key];
  }
  return changes;
};

/** `{a: undefined}` in a partial update means "not given": drop those keys before merging. */
export const withoutUndefined = <T extends object>(partial: Partial<T>): Partial<T> =>
  Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as Partial<T>;

export const isEmptyObject = (value: object): boolean => Object.keys(value).length === 0;
