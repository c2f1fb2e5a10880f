/**
 * The common tools/call of a 2026 client, recognised without a schema parse. The endpoint checks
 * the params of a multi-round request against the SDK's schema (CallToolRequestSchema), which
 * costs a tools/call more CPU than anything else the gateway does with its params. Params this
 * says yes to are ones that schema accepts and gives back unchanged: a string `name`, an
 * `arguments` object, and a `_meta` whose progress token, if any, is a string or a safe integer,
 * with nothing else the schema reads (`task`, the related-task key). Anything else is parsed as
 * before, so the schema still decides every case this does not. Pure.
 */
import { RELATED_TASK_META_KEY } from '@modelcontextprotocol/sdk/types.js';
import type { Json } from './modern-request';

/** An object as JSON.parse makes it, without a `__proto__` key (which the schema's copy would not keep as a key). */
const isPlainObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value) && !Object.hasOwn(value, '__proto__');

const isProgressToken = (token: unknown): boolean => typeof token === 'string' || (typeof token === 'number' && Number.isSafeInteger(token));

export const isPlainToolCall = (params: Json): boolean => {
  if (typeof params.name !== 'string' || params.task !== undefined) return false;
  if (params.arguments !== undefined && !isPlainObject(params.arguments)) return false;
  const meta = params._meta;
  if (meta === undefined) return true;
  if (!isPlainObject(meta) || meta[RELATED_TASK_META_KEY] !== undefined) return false;
  return meta.progressToken === undefined || isProgressToken(meta.progressToken);
};
