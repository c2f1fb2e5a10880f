import { MASK } from '../crypto/secret-box';
import type { EnvEntryMap, EnvEntryValue, ErrorCollector, SecretMap, SecretValue } from './document';

/**
 * Readers for one untrusted JSON object. Each reads one field, reports what is wrong with it
 * under `<path>.<key>` and returns a usable value (null when absent or bad), so that one pass
 * over a document collects every problem instead of stopping at the first.
 */
export type Untrusted = Readonly<Record<string, unknown>>;

export const isPlainObject = (value: unknown): value is Untrusted =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isMasked = (value: string): boolean => value.startsWith(MASK);

const secretValue = (value: string): SecretValue => (isMasked(value) ? { kind: 'masked' } : { kind: 'plain', value });

type MapLimits = { maxKeys: number; maxKeyLength: number; maxValueLength: number };

export class FieldReader {
  constructor(
    readonly object: Untrusted,
    readonly path: string,
    private readonly errors: ErrorCollector,
  ) {}

  fail(key: string, message: string): null {
    this.errors.add(`${this.path}.${key}`, message);
    return null;
  }

  /** A reader of a nested object, reporting to the same collector. */
  child(object: Untrusted, path: string): FieldReader {
    return new FieldReader(object, path, this.errors);
  }

  /** An array of objects, each as a reader named `<key>[i]`. */
  objects(key: string, max: number): FieldReader[] {
    const value = this.object[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.length > max) {
      this.fail(key, `must be an array of at most ${max} objects`);
      return [];
    }
    return value.flatMap((item, index) =>
      isPlainObject(item) ? [this.child(item, `${this.path}.${key}[${index}]`)] : (this.fail(`${key}[${index}]`, 'must be an object'), []),
    );
  }

  has(key: string): boolean {
    return this.object[key] !== undefined && this.object[key] !== null;
  }

  /** Fields not in `known` are refused, as unknown DTO fields are: a typo must not pass silently. */
  refuseUnknown(known: readonly string[]): void {
    for (const key of Object.keys(this.object)) {
      if (!known.includes(key)) this.fail(key, `unknown field; expected one of ${known.join(', ')}`);
    }
  }

  string(key: string, limits: { min?: number; max: number }): string | null {
    const value = this.object[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') return this.fail(key, 'must be a string');
    const min = limits.min ?? 0;
    if (value.length < min || value.length > limits.max) return this.fail(key, `must have ${min} to ${limits.max} characters`);
    if (min > 0 && value.trim() === '') return this.fail(key, 'must not be blank');
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.object[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.fail(key, 'must be true or false');
      return fallback;
    }
    return value;
  }

  integer(key: string, min: number, max: number): number | null {
    const value = this.object[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(key, `must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.object[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(key, `must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  stringArray(key: string, maxItems: number, maxLength: number): string[] {
    const value = this.object[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.length > maxItems || !value.every((item) => typeof item === 'string' && item.length <= maxLength)) {
      this.fail(key, `must be an array of at most ${maxItems} strings of at most ${maxLength} characters`);
      return [];
    }
    return value as string[];
  }

  httpUrl(key: string): string | null {
    const value = this.string(key, { min: 1, max: 2048 });
    if (value === null) return null;
    try {
      const { protocol } = new URL(value);
      if (protocol === 'http:' || protocol === 'https:') return value;
    } catch {
      // not a URL at all: reported below like any other scheme
    }
    return this.fail(key, 'must be an http: or https: URL');
  }

  /** A secret string: a mask means "keep the current value", decided when the import is planned. */
  secret(key: string, maxLength: number): SecretValue | null {
    const value = this.string(key, { min: 1, max: maxLength });
    return value === null ? null : secretValue(value);
  }

  /** An object of strings (headers) whose keys match `keyPattern`; every value may be a mask. */
  secretMap(key: string, limits: MapLimits, keyPattern: RegExp, keyKind: string): SecretMap {
    const expected = { values: 'string values', value: `a string of at most ${limits.maxValueLength} characters` };
    return this.mapOf(key, limits, keyPattern, keyKind, expected, (item) =>
      typeof item !== 'string' || item.length > limits.maxValueLength ? null : secretValue(item),
    );
  }

  /** Env and headers: like a secret map, but a value may also be `{"value": "…", "secret": true|false}`. */
  envMap(key: string, limits: MapLimits, keyPattern: RegExp, keyKind = 'environment variable name'): EnvEntryMap {
    const expected = { values: 'values', value: `a string of at most ${limits.maxValueLength} characters or {"value": string, "secret": boolean}` };
    return this.mapOf(key, limits, keyPattern, keyKind, expected, (item): EnvEntryValue | null => {
      if (typeof item === 'string') return item.length > limits.maxValueLength ? null : { value: secretValue(item), secret: null };
      if (!isPlainObject(item)) return null;
      const keys = Object.keys(item).sort();
      const { value, secret } = item;
      if (keys.join() !== 'secret,value' || typeof value !== 'string' || value.length > limits.maxValueLength || typeof secret !== 'boolean') return null;
      return { value: secretValue(value), secret };
    });
  }

  private mapOf<T>(
    key: string,
    limits: MapLimits,
    keyPattern: RegExp,
    keyKind: string,
    expected: Readonly<{ values: string; value: string }>,
    read: (item: unknown) => T | null,
  ): Record<string, T> {
    const value = this.object[key];
    if (value === undefined || value === null) return {};
    if (!isPlainObject(value) || Object.keys(value).length > limits.maxKeys) {
      this.fail(key, `must be an object of at most ${limits.maxKeys} ${expected.values}`);
      return {};
    }
    const result: Record<string, T> = {};
    for (const [name, item] of Object.entries(value)) {
      const field = `${key}.${name}`;
      if (name.length === 0 || name.length > limits.maxKeyLength || !keyPattern.test(name)) {
        this.fail(field, `"${name}" is not a valid ${keyKind}`);
        continue;
      }
      const parsed = read(item);
      if (parsed === null) this.fail(field, `must be ${expected.value}`);
      else result[name] = parsed;
    }
    return result;
  }
}
