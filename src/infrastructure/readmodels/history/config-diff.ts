/** One difference between two JSON documents: where, and what it was and became (absent: undefined). */
export type ConfigChange = Readonly<{ path: readonly string[]; op: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown }>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The leaf-level differences between two configuration documents, in a stable order (keys
 * sorted). Objects are walked key by key; arrays and scalars are compared whole, so a changed
 * `args` list is one change showing both lists.
 */
export const diffConfig = (before: unknown, after: unknown, path: readonly string[] = []): ConfigChange[] => {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      const inBefore = Object.hasOwn(before, key);
      const inAfter = Object.hasOwn(after, key);
      if (inBefore && !inAfter) return [{ path: [...path, key], op: 'removed' as const, before: before[key] }];
      if (!inBefore && inAfter) return [{ path: [...path, key], op: 'added' as const, after: after[key] }];
      return diffConfig(before[key], after[key], [...path, key]);
    });
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, op: 'changed', before, after }];
};
