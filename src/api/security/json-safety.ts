/**
 * Limits on the shape of untrusted JSON, shared by the REST API and the MCP endpoints.
 *
 * V8's JSON.parse is iterative, so a 1 MiB body of `[[[[…` parses fine, but everything that
 * walks the result recursively afterwards (class-transformer, JSON.stringify, the SDK's zod
 * schemas) overflows the stack and would answer 500. The depth is therefore checked on the
 * raw text, before anything recursive sees the value. Keys that reach prototypes through a
 * later merge (`__proto__`, `constructor`) are refused wherever they occur.
 */
import { isWellFormed } from '../../domain/shared';

/** Deeper than any configuration or MCP message needs; far below what overflows the stack. */
export const MAX_JSON_DEPTH = 64;

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

export type UnsafeJson = Readonly<{ reason: 'too_deep' | 'forbidden_key'; message: string; path?: string }>;

/** The largest nesting depth of objects and arrays in `text`, counting only up to `stopAbove + 1`. */
export const jsonNestingDepth = (text: string, stopAbove = MAX_JSON_DEPTH): number => {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index += 1; // backslash: the next character is escaped
      else if (char === 0x22) inString = false;
      continue;
    }
    if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAbove) return deepest;
    } else if (char === 0x5d || char === 0x7d) depth -= 1;
  }
  return deepest;
};

type Visit = Readonly<{ key?: (key: string) => boolean; string?: (value: string) => boolean }>;

/** The path of the first key or string value (depth already bounded) that `refuse` marks, or null. */
const findPath = (value: unknown, refuse: Visit): string | null => {
  const pending: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (pending.length > 0) {
    const { value: current, path } = pending.pop() as { value: unknown; path: string };
    if (typeof current === 'string') {
      if (refuse.string?.(current)) return path;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, path: `${path}[${index}]` }));
      continue;
    }
    for (const key of Object.keys(current)) {
      const keyPath = path === '' ? key : `${path}.${key}`;
      if (refuse.key?.(key)) return keyPath;
      pending.push({ value: (current as Record<string, unknown>)[key], path: keyPath });
    }
  }
  return null;
};

/** The path of the first forbidden key in a parsed value (depth already bounded), or null. */
export const findForbiddenKey = (value: unknown): string | null => findPath(value, { key: (key) => FORBIDDEN_KEYS.has(key) });

/**
 * The path of the first key or string that is not well-formed Unicode (a lone surrogate, which
 * JSON's `\ud800` escape can carry but UTF-8 cannot store), or null.
 */
export const findIllFormedString = (value: unknown): string | null =>
  findPath(value, { key: (key) => !isWellFormed(key), string: (text) => !isWellFormed(text) });

/** Why `text` (and the value parsed from it) must be refused, or null when it is acceptable. */
export const checkJson = (text: string, parsed: unknown, maxDepth = MAX_JSON_DEPTH): UnsafeJson | null => {
  if (jsonNestingDepth(text, maxDepth) > maxDepth) {
    return { reason: 'too_deep', message: `JSON nested deeper than ${maxDepth} levels is refused` };
  }
  const path = findForbiddenKey(parsed);
  if (path !== null) return { reason: 'forbidden_key', message: `The key "${path.split('.').pop()}" is refused (at ${path})`, path };
  return null;
};
