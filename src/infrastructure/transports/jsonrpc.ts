import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * The SDK's `JSONRPCMessageSchema` (a zod union of four strict objects, sdk/types.js) written
 * out as plain checks, because parsing every incoming message with it is a visible share of a
 * proxied call. It accepts exactly what the schema accepts and returns what the schema's parse
 * returns: the same message, except that the two non-loose objects inside it (an error's
 * `error`, a `_meta`'s related-task reference) lose keys the schema does not know, as zod strips
 * them, and the loose objects lose an own `__proto__` key, as zod's copy does.
 * `jsonrpc.unit.test.ts` checks both against the schema itself.
 */

type Json = Record<string, unknown>;

const RELATED_TASK = 'io.modelcontextprotocol/related-task';

const REQUEST_KEYS: ReadonlySet<string> = new Set(['jsonrpc', 'id', 'method', 'params']);
const NOTIFICATION_KEYS: ReadonlySet<string> = new Set(['jsonrpc', 'method', 'params']);
const RESULT_KEYS: ReadonlySet<string> = new Set(['jsonrpc', 'id', 'result']);
const ERROR_KEYS: ReadonlySet<string> = new Set(['jsonrpc', 'id', 'error']);

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** zod's `z.union([z.string(), z.number().int()])`: `int()` means a safe integer in zod 4. */
const isRequestId = (value: unknown): value is string | number => typeof value === 'string' || Number.isSafeInteger(value);

/** A strict zod object: no key beyond its shape (zod walks inherited keys too, as `for…in` does). */
const hasOnlyKeys = (value: Json, allowed: ReadonlySet<string>): boolean => {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
};

/** `RequestMetaSchema`: loose, with an optional progress token and related-task reference. */
const isMeta = (meta: unknown): meta is Json => {
  if (!isObject(meta)) return false;
  if (meta.progressToken !== undefined && !isRequestId(meta.progressToken)) return false;
  const task = meta[RELATED_TASK];
  return task === undefined || (isObject(task) && typeof task.taskId === 'string');
};

/** The related-task reference is a plain (stripping) zod object: only `taskId` survives a parse. */
const strippedMeta = (meta: Json): Json => {
  const task = meta[RELATED_TASK] as Json | undefined;
  if (task === undefined || Object.keys(task).length === 1) return meta;
  return { ...meta, [RELATED_TASK]: { taskId: task.taskId } };
};

/** Request or notification params, or a result: a loose object whose `_meta` is checked. */
const isMetaCarrier = (value: unknown): value is Json => isObject(value) && (value._meta === undefined || isMeta(value._meta));

/**
 * A loose zod object copies each key onto a fresh object by assignment, so an own `__proto__`
 * key (which `JSON.parse` makes) sets the copy's prototype instead of a key, and is gone from the
 * parse. Dropped here too, and never turned into a prototype.
 */
const withoutProtoKey = (value: Json): Json => {
  if (!Object.hasOwn(value, '__proto__')) return value;
  const copy: Json = { ...value };
  delete copy['__proto__'];
  return copy;
};

/** Params or a result, with `_meta`, as the loose zod objects holding them return them. */
const withStrippedMeta = <K extends 'params' | 'result'>(message: Json, key: K): Json => {
  const carrier = message[key] as Json | undefined;
  if (carrier === undefined) return message;
  let stripped = withoutProtoKey(carrier);
  if (stripped._meta !== undefined) {
    const meta = withoutProtoKey(strippedMeta(stripped._meta as Json));
    if (meta !== stripped._meta) stripped = { ...stripped, _meta: meta };
  }
  return stripped === carrier ? message : { ...message, [key]: stripped };
};

const isErrorObject = (error: unknown): error is Json => isObject(error) && Number.isSafeInteger(error.code) && typeof error.message === 'string';

/** `error` is a plain zod object: `code`, `message` and `data` (when present) survive a parse. */
const withStrippedError = (message: Json): Json => {
  const error = message.error as Json;
  const known = error.data === undefined ? 2 : 3;
  if (Object.keys(error).length === known) return message;
  return { ...message, error: error.data === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, data: error.data } };
};

/** The message as `JSONRPCMessageSchema.parse` would return it, or undefined where it would throw. */
export const asJsonRpcMessage = (value: unknown): JSONRPCMessage | undefined => {
  if (!isObject(value) || value.jsonrpc !== '2.0') return undefined;
  // Every branch is strict, so a key of another branch (method next to result…) fails them all.
  if (value.method !== undefined) {
    if (typeof value.method !== 'string') return undefined;
    if (value.params !== undefined && !isMetaCarrier(value.params)) return undefined;
    const keys = value.id === undefined ? NOTIFICATION_KEYS : REQUEST_KEYS;
    if (value.id !== undefined && !isRequestId(value.id)) return undefined;
    return hasOnlyKeys(value, keys) ? (withStrippedMeta(value, 'params') as JSONRPCMessage) : undefined;
  }
  if (value.result !== undefined) {
    if (!isRequestId(value.id) || !isMetaCarrier(value.result) || !hasOnlyKeys(value, RESULT_KEYS)) return undefined;
    return withStrippedMeta(value, 'result') as JSONRPCMessage;
  }
  if (value.id !== undefined && !isRequestId(value.id)) return undefined;
  if (!isErrorObject(value.error) || !hasOnlyKeys(value, ERROR_KEYS)) return undefined;
  return withStrippedError(value) as JSONRPCMessage;
};

/** A response (result or error) rather than a request or notification, for a message of a valid shape. */
export const isJsonRpcResponse = (message: object): boolean => !('method' in message) && ('result' in message || 'error' in message);
