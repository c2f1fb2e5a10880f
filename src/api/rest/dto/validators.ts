import { registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * An optional field that cannot be null. `@IsOptional()` skips `null` as well as an absent
 * field, which let `null` reach the commands (a 500, or `{"auth": {"apiKey": null}}` turning
 * key auth off); this skips only an absent field, so `null` meets the field's validators.
 */
export const IsOmittable = (options?: ValidationOptions): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined, options);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON object whose values are all strings, with bounded size (env, headers). */
export const IsStringRecord = (limits: { maxKeys: number; maxKeyLength: number; maxValueLength: number }, options?: ValidationOptions) =>
  (target: object, propertyName: string): void => {
    registerDecorator({
      name: 'isStringRecord',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be an object of at most ${limits.maxKeys} string values (keys ≤ ${limits.maxKeyLength}, values ≤ ${limits.maxValueLength} characters)`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.keys(value).length <= limits.maxKeys &&
          Object.entries(value).every(
            ([key, item]) => key.length > 0 && key.length <= limits.maxKeyLength && typeof item === 'string' && item.length <= limits.maxValueLength,
          ),
      },
    });
  };

/** An env value: a string, or exactly `{"value": "…", "secret": true|false}`. */
const isEnvValue = (item: unknown, maxValueLength: number): boolean => {
  if (typeof item === 'string') return item.length <= maxValueLength;
  if (!isPlainObject(item)) return false;
  const keys = Object.keys(item).sort();
  return keys.length === 2 && keys[0] === 'secret' && keys[1] === 'value' && typeof item.secret === 'boolean' && typeof item.value === 'string' && item.value.length <= maxValueLength;
};

/** A server's env: string values (secrecy decided by name and value) or `{value, secret}` (decided by the caller). */
export const IsEnvRecord = (limits: { maxKeys: number; maxKeyLength: number; maxValueLength: number }, options?: ValidationOptions) =>
  (target: object, propertyName: string): void => {
    registerDecorator({
      name: 'isEnvRecord',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be an object of at most ${limits.maxKeys} values, each a string or {"value": string, "secret": boolean} (keys ≤ ${limits.maxKeyLength}, values ≤ ${limits.maxValueLength} characters)`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.keys(value).length <= limits.maxKeys &&
          Object.entries(value).every(([key, item]) => key.length > 0 && key.length <= limits.maxKeyLength && isEnvValue(item, limits.maxValueLength)),
      },
    });
  };

/** A JSON object (annotations), bounded by its serialized size. */
export const IsBoundedObject = (maxBytes: number, options?: ValidationOptions) =>
  (target: object, propertyName: string): void => {
    registerDecorator({
      name: 'isBoundedObject',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a JSON object of at most ${maxBytes} bytes`, ...options },
      validator: {
        validate: (value: unknown) => isPlainObject(value) && Buffer.byteLength(JSON.stringify(value)) <= maxBytes,
      },
    });
  };

/** An http(s) URL. Other schemes (file:, javascript:, …) are refused here, not only in the domain. */
export const IsHttpUrl = (options?: ValidationOptions) =>
  (target: object, propertyName: string): void => {
    registerDecorator({
      name: 'isHttpUrl',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an http(s) URL`, ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || value.length > 2048) return false;
          try {
            const url = new URL(value);
            return url.protocol === 'http:' || url.protocol === 'https:';
          } catch {
            return false;
          }
        },
      },
    });
  };
