import type { UpstreamSpec } from './types';

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((value, index) => value === b[index]);

const sameRecord = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
};

/**
 * Whether going from `a` to `b` changes how the upstream is reached. A new display name or
 * request timeout applies without dropping the connection (and killing a stdio server).
 */
export const needsReconnect = (a: UpstreamSpec, b: UpstreamSpec): boolean =>
  a.transport !== b.transport ||
  a.command !== b.command ||
  !sameList(a.args, b.args) ||
  !sameRecord(a.env, b.env) ||
  a.cwd !== b.cwd ||
  a.url !== b.url ||
  !sameRecord(a.headers, b.headers) ||
  a.bearerToken !== b.bearerToken;
